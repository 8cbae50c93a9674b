namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// A watershed by flooding, written here since no .NET library offers one. Mask pixels are taken from
/// the highest relief down, ties by pixel index, so the result never depends on thread timing. A pixel
/// joins the basin of its highest neighbour taken before it; where two basins meet, the one whose peak
/// stands less than the minimum depth above the meeting level is merged into the other. That keeps
/// exactly the basins of h-maxima markers, without building the markers first.
/// </summary>
public static class Watershed
{
    private static readonly (int Dx, int Dy)[] Neighbours = [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)];

    /// <summary>
    /// Labels the mask's objects: 0 background, ids 1…N numbered in the order their first pixel is met
    /// row by row. Objects under <paramref name="minObjectSize"/> pixels are left out.
    /// </summary>
    /// <param name="relief">Higher inside objects; basins grow downwards from its peaks.</param>
    /// <param name="mask">Foreground pixels; only these are labelled.</param>
    /// <param name="minimumDepth">How far a peak must stand above where it meets a higher one to be an object of its own;
    /// infinity keeps each 8-connected region of the mask whole.</param>
    public static int[] Flood(ReadOnlySpan<float> relief, ReadOnlySpan<bool> mask, int width, int height, double minimumDepth, int minObjectSize)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(relief.Length, width * height, nameof(relief));
        ArgumentOutOfRangeException.ThrowIfNotEqual(mask.Length, width * height, nameof(mask));
        var order = Order(relief, mask);
        var parent = new int[mask.Length];
        Array.Fill(parent, -1);
        var peak = new float[mask.Length];
        foreach (var key in order)
        {
            var pixel = (int)(key & uint.MaxValue);
            var (x, y) = (pixel % width, pixel / width);
            var level = relief[pixel];
            parent[pixel] = pixel;
            peak[pixel] = level;

            // The highest neighbour first: a pixel on a slope belongs to the basin it runs down from.
            var highest = -1;
            foreach (var (dx, dy) in Neighbours)
            {
                var neighbour = Index(x + dx, y + dy, width, height);
                if (neighbour >= 0 && parent[neighbour] >= 0 && (highest < 0 || relief[neighbour] > relief[highest]))
                {
                    highest = neighbour;
                }
            }

            if (highest < 0)
            {
                continue;
            }

            parent[pixel] = Find(parent, highest);
            foreach (var (dx, dy) in Neighbours)
            {
                var neighbour = Index(x + dx, y + dy, width, height);
                if (neighbour < 0 || parent[neighbour] < 0)
                {
                    continue;
                }

                var (mine, theirs) = (Find(parent, pixel), Find(parent, neighbour));
                if (mine == theirs)
                {
                    continue;
                }

                var (high, low) = peak[mine] > peak[theirs] || (peak[mine] == peak[theirs] && mine < theirs) ? (mine, theirs) : (theirs, mine);
                if (peak[low] - level < minimumDepth)
                {
                    parent[low] = high;
                }
            }
        }

        return Number(parent, minObjectSize);
    }

    /// <summary>Mask pixels from the highest relief down, ties by index: relief's bits (non-negative floats sort as their bits) over the index.</summary>
    private static long[] Order(ReadOnlySpan<float> relief, ReadOnlySpan<bool> mask)
    {
        var keys = new List<long>();
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i])
            {
                var bits = BitConverter.SingleToInt32Bits(Math.Max(relief[i], 0f));
                keys.Add(((long)(int.MaxValue - bits) << 32) | (uint)i);
            }
        }

        var order = keys.ToArray();
        Array.Sort(order);
        return order;
    }

    private static int[] Number(int[] parent, int minObjectSize)
    {
        var area = new int[parent.Length];
        for (var i = 0; i < parent.Length; i++)
        {
            if (parent[i] >= 0)
            {
                area[Find(parent, i)]++;
            }
        }

        var ids = new int[parent.Length];
        var labels = new int[parent.Length];
        var next = 0;
        for (var i = 0; i < parent.Length; i++)
        {
            if (parent[i] < 0)
            {
                continue;
            }

            var root = Find(parent, i);
            if (area[root] < minObjectSize)
            {
                continue;
            }

            if (ids[root] == 0)
            {
                ids[root] = ++next;
            }

            labels[i] = ids[root];
        }

        return labels;
    }

    private static int Index(int x, int y, int width, int height) =>
        x < 0 || y < 0 || x >= width || y >= height ? -1 : (y * width) + x;

    private static int Find(int[] parent, int pixel)
    {
        while (parent[pixel] != pixel)
        {
            // Path halving keeps trees shallow without recursion.
            parent[pixel] = parent[parent[pixel]];
            pixel = parent[pixel];
        }

        return pixel;
    }
}
