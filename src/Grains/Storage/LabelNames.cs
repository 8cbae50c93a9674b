using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Storage;

/// <summary>
/// How labs name an image's ground truth: <c>n1.png</c>'s mask may be <c>n1.tif</c>, <c>n1_mask.png</c>,
/// <c>n1_labels.tif</c> or <c>n1.mask.png</c>, in the labels folder at the image's relative path. A
/// label's <c>.ome.tif</c> may also be one extension: <c>n1.ome.tif</c>, an earlier job's
/// <c>--mask-format ome-tiff</c> mask, is <c>n1.png</c>'s label (and <c>x.ome.tif</c>'s, whose stem is <c>x.ome</c>).
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
        foreach (var name in names.Where(StoredObject.LooksLikeImageName))
        {
            // What lies between the stem and the extension decides whether, and how well, the name fits.
            var (plain, ome) = (Rank(stem, Path.ChangeExtension(name, null)), Rank(stem, MaskFormats.StemOf(name)));
            var rank = plain < 0 ? ome : ome < 0 ? plain : Math.Min(plain, ome);
            if (rank >= 0 && (rank < bestRank || (rank == bestRank && string.CompareOrdinal(name, best) < 0)))
            {
                (best, bestRank) = (name, rank);
            }
        }

        return best;
    }

    /// <summary>The names looked for, for a message that says why an image found no label.</summary>
    public static string Describe(string stem) => string.Join(", ", Suffixes.Select(s => $"{stem}{s}.*"));

    /// <summary>How well a label whose name without its extension is <paramref name="bare"/> fits; -1 when it does not.</summary>
    private static int Rank(string stem, string bare) =>
        bare.StartsWith(stem, StringComparison.Ordinal) ? IndexOf(bare[stem.Length..]) : -1;

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
