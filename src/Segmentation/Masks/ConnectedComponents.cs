namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>
/// Finds 8-connected objects (pixels touching by an edge or a corner with the same non-zero label) with
/// a two-pass, row-by-row union-find. No recursion and no per-pixel label image: memory is two rows plus
/// one entry per provisional label, so very large masks neither overflow the stack nor double in size.
/// </summary>
internal static class ConnectedComponents
{
    /// <summary>Object areas grouped by label value: result[v] lists the areas of the objects labelled v.</summary>
    public static List<int>[] AreasByLabel(byte[] labels, int width, int height)
    {
        var previous = new int[width];
        var current = new int[width];
        var forest = new LabelForest();
        for (var y = 0; y < height; y++)
        {
            var row = y * width;
            for (var x = 0; x < width; x++)
            {
                var value = labels[row + x];
                if (value == 0)
                {
                    current[x] = 0;
                    continue;
                }

                var label = 0;
                if (x > 0 && labels[row + x - 1] == value)
                {
                    label = forest.Join(label, current[x - 1]);
                }

                if (y > 0)
                {
                    var above = row - width + x;
                    if (x > 0 && labels[above - 1] == value)
                    {
                        label = forest.Join(label, previous[x - 1]);
                    }

                    if (labels[above] == value)
                    {
                        label = forest.Join(label, previous[x]);
                    }

                    if (x + 1 < width && labels[above + 1] == value)
                    {
                        label = forest.Join(label, previous[x + 1]);
                    }
                }

                current[x] = label == 0 ? forest.Add(value) : label;
                forest.CountPixel(current[x]);
            }

            (previous, current) = (current, previous);
        }

        return forest.AreasByValue();
    }

    /// <summary>Provisional labels 1…n with a union-find parent, pixel count and label value each.</summary>
    private sealed class LabelForest
    {
        private int[] parent = new int[1024];
        private int[] area = new int[1024];
        private byte[] value = new byte[1024];
        private int count = 1;

        public int Add(byte labelValue)
        {
            if (count == parent.Length)
            {
                var size = (int)Math.Min((long)count * 2, Array.MaxLength);
                Array.Resize(ref parent, size);
                Array.Resize(ref area, size);
                Array.Resize(ref value, size);
            }

            parent[count] = count;
            value[count] = labelValue;
            return count++;
        }

        public void CountPixel(int label) => area[label]++;

        /// <summary>Merges <paramref name="other"/>'s set into <paramref name="label"/>'s (0 = none yet); returns the root.</summary>
        public int Join(int label, int other)
        {
            var b = Find(other);
            if (label == 0)
            {
                return b;
            }

            var a = Find(label);
            if (a == b)
            {
                return a;
            }

            // The smaller label becomes the root, so every label's root precedes it.
            var (root, child) = a < b ? (a, b) : (b, a);
            parent[child] = root;
            return root;
        }

        public List<int>[] AreasByValue()
        {
            // Roots precede their members, so one ascending pass settles every label's root and area.
            for (var i = 1; i < count; i++)
            {
                var root = Find(i);
                if (root != i)
                {
                    area[root] += area[i];
                }
            }

            var areas = new List<int>[256];
            for (var v = 0; v < areas.Length; v++)
            {
                areas[v] = [];
            }

            for (var i = 1; i < count; i++)
            {
                if (parent[i] == i)
                {
                    areas[value[i]].Add(area[i]);
                }
            }

            return areas;
        }

        private int Find(int label)
        {
            while (parent[label] != label)
            {
                // Path halving keeps trees shallow without recursion.
                parent[label] = parent[parent[label]];
                label = parent[label];
            }

            return label;
        }
    }
}
