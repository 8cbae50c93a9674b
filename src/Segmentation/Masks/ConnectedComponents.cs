namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>
/// Finds 8-connected objects (pixels touching by an edge or a corner with the same non-zero label) with
/// a two-pass, row-by-row union-find. No recursion and no per-pixel label image: memory is two rows plus
/// one entry per provisional label, so very large masks neither overflow the stack nor double in size,
/// and a mask can be counted while it streams past, row by row.
/// </summary>
public sealed class ConnectedComponents
{
    private readonly int _width;
    private readonly LabelForest _forest = new();
    private int[] _previous;
    private int[] _current;
    private readonly byte[] _previousLabels;
    private bool _first = true;

    /// <param name="width">The mask's width; rows are added one at a time, top to bottom.</param>
    public ConnectedComponents(int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        _width = width;
        _previous = new int[width];
        _current = new int[width];
        _previousLabels = new byte[width];
    }

    /// <summary>Object areas grouped by label value: result[v] lists the areas of the objects labelled v.</summary>
    public static List<int>[] AreasByLabel(byte[] labels, int width, int height)
    {
        var objects = new ConnectedComponents(width);
        for (var y = 0; y < height; y++)
        {
            objects.AddRow(labels.AsSpan(y * width, width));
        }

        return objects.AreasByLabel();
    }

    /// <summary>Adds the mask's next row.</summary>
    public void AddRow(ReadOnlySpan<byte> labels)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(labels.Length, _width, nameof(labels));
        var (previous, current, above, forest) = (_previous, _current, _previousLabels, _forest);
        for (var x = 0; x < labels.Length; x++)
        {
            var value = labels[x];
            if (value == 0)
            {
                current[x] = 0;
                continue;
            }

            var label = 0;
            if (x > 0 && labels[x - 1] == value)
            {
                label = forest.Join(label, current[x - 1]);
            }

            if (!_first)
            {
                if (x > 0 && above[x - 1] == value)
                {
                    label = forest.Join(label, previous[x - 1]);
                }

                if (above[x] == value)
                {
                    label = forest.Join(label, previous[x]);
                }

                if (x + 1 < labels.Length && above[x + 1] == value)
                {
                    label = forest.Join(label, previous[x + 1]);
                }
            }

            current[x] = label == 0 ? forest.Add(value) : label;
            forest.CountPixel(current[x]);
        }

        labels.CopyTo(_previousLabels);
        (_previous, _current) = (current, previous);
        _first = false;
    }

    /// <summary>The objects of the rows added so far, grouped by label value: result[v] lists the areas of the objects labelled v.</summary>
    public List<int>[] AreasByLabel() => _forest.AreasByValue();

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
