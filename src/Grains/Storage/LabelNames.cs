using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Storage;

/// <summary>
/// How labs name an image's ground truth: <c>n1.png</c>'s mask may be <c>n1.tif</c>, <c>n1_mask.png</c>,
/// <c>n1_labels.tif</c> or <c>n1.mask.png</c>, in the labels folder at the image's relative path. An
/// OME-TIFF's <c>.ome.tif</c> is one extension, on an image or a label: <c>n1.ome.tif</c> (an earlier
/// job's <c>--mask-format ome-tiff</c> mask) is <c>n1.png</c>'s label, and <c>n1.png</c> is <c>n1.ome.tif</c>'s.
/// </summary>
public static class LabelNames
{
    /// <summary>What may follow the image's stem, in order of preference when a folder holds several.</summary>
    public static IReadOnlyList<string> Suffixes { get; } = ["", "_mask", "_masks", "_label", "_labels", ".mask"];

    /// <summary>The preferred label for the image of stem <paramref name="stem"/> among <paramref name="names"/>; null when none fits.</summary>
    public static string? Choose(string stem, IEnumerable<string> names)
    {
        string? best = null;
        var bestRank = int.MaxValue;
        foreach (var name in names)
        {
            var bare = MaskFormats.StemOf(name);
            if (!bare.StartsWith(stem, StringComparison.Ordinal) || !StoredObject.LooksLikeImageName(name))
            {
                continue;
            }

            // What lies between the stem and the extension decides whether, and how well, the name fits.
            var middle = bare[stem.Length..];
            var rank = IndexOf(middle);
            if (rank >= 0 && (rank < bestRank || (rank == bestRank && string.CompareOrdinal(name, best) < 0)))
            {
                (best, bestRank) = (name, rank);
            }
        }

        return best;
    }

    /// <summary>The stem an image's labels are looked for by.</summary>
    public static string StemOf(string imageName) => MaskFormats.StemOf(imageName);

    /// <summary>The names looked for, for a message that says why an image found no label.</summary>
    public static string Describe(string stem) => string.Join(", ", Suffixes.Select(s => $"{stem}{s}.*"));

    private static int IndexOf(string suffix)
    {
        for (var i = 0; i < Suffixes.Count; i++)
        {
            if (string.Equals(Suffixes[i], suffix, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
