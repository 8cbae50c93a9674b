using System.Numerics;

namespace UNetPP.Cluster.Contracts;

/// <summary>
/// Object areas counted in fixed bins that double in width: bin k holds areas 2^k … 2^(k+1) − 1 pixels
/// (1, 2–3, 4–7, 8–15 …). The bins are the same for every image, so an image's counts are a short list
/// (about 20 for a 1-megapixel object) that adds up over images without keeping every area.
/// </summary>
public static class ObjectSizeBins
{
    /// <summary>How many of <paramref name="areas"/> (pixels, at least 1) fall in each bin, up to the last bin holding one.</summary>
    public static IReadOnlyList<int> Count(IEnumerable<int> areas)
    {
        var counts = new List<int>();
        foreach (var area in areas)
        {
            var bin = BitOperations.Log2((uint)area);
            while (counts.Count <= bin)
            {
                counts.Add(0);
            }

            counts[bin]++;
        }

        return counts;
    }

    /// <summary>Several images' counts added bin by bin.</summary>
    public static IReadOnlyList<int> Add(IEnumerable<IReadOnlyList<int>> counts)
    {
        var total = new List<int>();
        foreach (var image in counts)
        {
            for (var bin = 0; bin < image.Count; bin++)
            {
                if (total.Count <= bin)
                {
                    total.Add(0);
                }

                total[bin] += image[bin];
            }
        }

        return total;
    }

    /// <summary>The smallest area bin <paramref name="bin"/> holds.</summary>
    public static long From(int bin) => 1L << bin;
}
