using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Objects;

namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>Takes what an <see cref="InstanceLabeller"/> finds, in image order.</summary>
public interface IInstanceSink
{
    /// <summary>An object, once all of it is known; objects come in id order.</summary>
    void Add(ImageObject image);

    /// <summary>The label image's next row: 0 background, else the object's id.</summary>
    void WriteRow(ReadOnlySpan<int> ids);
}

/// <summary>
/// Separates touching nuclei in a mask that streams past row by row, as a band-cut image's stitched
/// rows do. Each connected region of a class (8-connected) is closed once a row passes without it; it is
/// then cut out on its bounding box, with a margin of background, and split by
/// <see cref="InstanceSeparation"/> there, alone. A region's split depends only on its own pixels, so it
/// is the same whichever rows surround it: an image segmented whole and one stitched from bands give the
/// same labels, byte for byte, because both pass through here. Ids run 1…N in the order of each object's
/// first pixel, row by row, as a raster scan meets them; a row is written once every region it touches
/// is closed. Memory is the rows from the oldest open region down, plus one entry per provisional label.
/// </summary>
public sealed class InstanceLabeller
{
    private readonly int _width;
    private readonly int _height;
    private readonly int _classes;
    private readonly int _channels;
    private readonly InstanceSettings _settings;
    private readonly IInstanceSink _sink;
    private readonly int _margin;
    private readonly Regions _regions = new();

    // Open regions' top rows, with how many open regions start there: the first key is the oldest open row.
    private readonly SortedDictionary<int, int> _openTops = [];
    private readonly Dictionary<int, SplitRegion> _split = [];
    private readonly Dictionary<int, List<int>> _splitEnding = [];
    private readonly SortedDictionary<int, List<(int X, SplitRegion Region, int Local)>> _firstPixels = [];
    private readonly List<BufferedRow?> _rows = [];
    private int _rowsOffset;

    // The row above, kept for connectivity even once written (a row is written before the next comes only when it is empty).
    private BufferedRow? _last;
    private int _emitted;
    private int _added;
    private int _nextId = 1;

    /// <param name="width">The image's width.</param>
    /// <param name="height">Its height: exactly this many rows are added.</param>
    /// <param name="classes">The model's outputs (K); mask values are 0/255 for one output, else class indices.</param>
    /// <param name="channels">Input channels whose samples come with each row (0 for none).</param>
    /// <param name="settings">How touching nuclei are told apart.</param>
    /// <param name="sink">Where objects and label rows go.</param>
    public InstanceLabeller(int width, int height, int classes, int channels, InstanceSettings settings, IInstanceSink sink)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        (_width, _height, _classes, _channels, _settings, _sink) = (width, height, classes, channels, settings, sink);

        // Enough background around a region that the blur of its distance map sees nothing but it.
        _margin = (int)Math.Ceiling(3 * settings.Smoothing) + 1;
    }

    /// <summary>The ids given so far: the object count once every row is in.</summary>
    public int Objects => _nextId - 1;

    /// <summary>Adds the mask's next row with its probabilities (16-bit, as the probability map stores them).</summary>
    /// <param name="samples">The row's input samples, channel after channel, each <c>width</c> long; empty without channels.</param>
    public void AddRow(ReadOnlySpan<byte> mask, ReadOnlySpan<ushort> probability, ReadOnlySpan<float> samples)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(mask.Length, _width, nameof(mask));
        ArgumentOutOfRangeException.ThrowIfNotEqual(probability.Length, _width, nameof(probability));
        ArgumentOutOfRangeException.ThrowIfNotEqual(samples.Length, _channels * _width, nameof(samples));
        if (_added == _height)
        {
            throw new InvalidOperationException($"All {_height} rows have been added.");
        }

        var y = _added;
        var row = new BufferedRow(mask.ToArray(), probability.ToArray(), samples.ToArray(), new int[_width]);
        var above = _last;
        var labels = row.Labels;
        for (var x = 0; x < _width; x++)
        {
            var value = mask[x];
            if (value == 0)
            {
                continue;
            }

            var label = 0;
            if (x > 0 && mask[x - 1] == value)
            {
                label = Join(label, labels[x - 1]);
            }

            if (above is not null)
            {
                for (var dx = -1; dx <= 1; dx++)
                {
                    var ax = x + dx;
                    if (ax >= 0 && ax < _width && above.Mask[ax] == value)
                    {
                        label = Join(label, above.Labels[ax]);
                    }
                }
            }

            if (label == 0)
            {
                label = _regions.Add(value, x, y);
                Open(y);
            }
            else
            {
                _regions.Extend(label, x, y);
            }

            labels[x] = label;
        }

        _rows.Add(row);
        _last = row;
        _added++;
        if (above is not null)
        {
            // A region of the row above that reached no further down is whole.
            CloseEndingAt(above, y - 1);
        }

        if (_added == _height)
        {
            CloseEndingAt(row, y);
        }

        Emit();
    }

    /// <summary>Checks that every row came; every object and row has then gone to the sink.</summary>
    public void Finish()
    {
        if (_added != _height || _emitted != _height)
        {
            throw new InvalidOperationException($"{_added} of the image's {_height} rows were added.");
        }
    }

    private BufferedRow Row(int y) => _rows[y - _rowsOffset] ?? throw new InvalidOperationException($"Row {y} has been written.");

    private void Open(int top) => _openTops[top] = _openTops.GetValueOrDefault(top) + 1;

    private void Unopen(int top)
    {
        if (--_openTops[top] == 0)
        {
            _openTops.Remove(top);
        }
    }

    private int Join(int label, int other)
    {
        var (a, b) = (label == 0 ? 0 : _regions.Find(label), _regions.Find(other));
        if (a == 0 || a == b)
        {
            return b;
        }

        var (topA, topB) = (_regions.Top(a), _regions.Top(b));
        var root = _regions.Union(a, b);
        Unopen(topA);
        Unopen(topB);
        Open(_regions.Top(root));
        return root;
    }

    private void CloseEndingAt(BufferedRow row, int y)
    {
        foreach (var label in row.Labels)
        {
            if (label == 0)
            {
                continue;
            }

            var root = _regions.Find(label);
            if (_regions.Bottom(root) == y && !_split.ContainsKey(root))
            {
                Close(root);
            }
        }
    }

    /// <summary>Cuts a whole region out on its box with a margin of background and splits it.</summary>
    private void Close(int root)
    {
        var box = _regions.Box(root);
        Unopen(box.Y);
        var crop = new PixelRect(
            Math.Max(0, box.X - _margin),
            Math.Max(0, box.Y - _margin),
            0,
            0);
        crop = crop with
        {
            Width = Math.Min(_width, box.Right + _margin) - crop.X,
            Height = Math.Min(_height, box.Bottom + _margin) - crop.Y,
        };
        var area = crop.Width * crop.Height;
        var inside = new bool[area];
        var probability = new float[area];
        var samples = new float[_channels * area];
        for (var y = box.Y; y < box.Bottom; y++)
        {
            var row = Row(y);
            for (var x = box.X; x < box.Right; x++)
            {
                if (row.Labels[x] == 0 || _regions.Find(row.Labels[x]) != root)
                {
                    continue;
                }

                var i = ((y - crop.Y) * crop.Width) + (x - crop.X);
                inside[i] = true;
                probability[i] = row.Probability[x] / (float)ushort.MaxValue;
                for (var c = 0; c < _channels; c++)
                {
                    samples[(c * area) + i] = row.Samples[(c * _width) + x];
                }
            }
        }

        var local = InstanceSeparation.Label(probability, inside, crop.Width, crop.Height, _settings);
        var region = new SplitRegion(crop, ClassOf(_regions.Value(root)), local, probability, samples);
        _split[root] = region;
        if (!_splitEnding.TryGetValue(box.Bottom - 1, out var ending))
        {
            _splitEnding[box.Bottom - 1] = ending = [];
        }

        ending.Add(root);

        // Local ids run in raster order within the crop, so each object's first pixel is where its id first appears.
        var seen = 0;
        for (var i = 0; i < local.Length; i++)
        {
            if (local[i] > seen)
            {
                seen = local[i];
                var firstY = crop.Y + (i / crop.Width);
                if (!_firstPixels.TryGetValue(firstY, out var starting))
                {
                    _firstPixels[firstY] = starting = [];
                }

                starting.Add((crop.X + (i % crop.Width), region, seen));
            }
        }
    }

    private int ClassOf(byte value) => _classes == 1 ? 1 : value;

    /// <summary>Writes every row whose regions are all split: each row above the oldest open region.</summary>
    private void Emit()
    {
        var limit = _openTops.Count == 0 ? _added : Math.Min(_added, _openTops.First().Key);
        var ids = new int[_width];
        for (; _emitted < limit; _emitted++)
        {
            var y = _emitted;
            if (_firstPixels.Remove(y, out var starting))
            {
                starting.Sort((a, b) => a.X.CompareTo(b.X));
                foreach (var (_, region, local) in starting)
                {
                    region.Ids[local] = _nextId++;
                    _sink.Add(region.Object(local, _channels));
                }
            }

            var row = Row(y);
            for (var x = 0; x < _width; x++)
            {
                var label = row.Labels[x];
                ids[x] = label == 0 ? 0 : _split[_regions.Find(label)].IdAt(x, y);
            }

            _sink.WriteRow(ids);
            Release(y);
        }
    }

    private void Release(int y)
    {
        _rows[y - _rowsOffset] = null;
        if (_splitEnding.Remove(y, out var ended))
        {
            foreach (var root in ended)
            {
                _split.Remove(root);
            }
        }

        // Drop written rows from the front now and then, not one by one.
        var written = y + 1 - _rowsOffset;
        if (written >= 1024 && written * 2 >= _rows.Count)
        {
            _rows.RemoveRange(0, written);
            _rowsOffset += written;
        }
    }

    private sealed record BufferedRow(byte[] Mask, ushort[] Probability, float[] Samples, int[] Labels);

    /// <summary>A region once split: its crop, the local id of each crop pixel, and the ids those get when written.</summary>
    private sealed class SplitRegion
    {
        private readonly PixelRect _crop;
        private readonly int _classIndex;
        private readonly int[] _local;
        private readonly float[] _probability;
        private readonly float[] _samples;
        private readonly PixelRect[] _boxes;

        public SplitRegion(PixelRect crop, int classIndex, int[] local, float[] probability, float[] samples)
        {
            (_crop, _classIndex, _local, _probability, _samples) = (crop, classIndex, local, probability, samples);
            var objects = local.Length == 0 ? 0 : local.Max();
            var (left, top, right, bottom) = (new int[objects + 1], new int[objects + 1], new int[objects + 1], new int[objects + 1]);
            Array.Fill(left, int.MaxValue);
            Array.Fill(top, int.MaxValue);
            Array.Fill(right, -1);
            Array.Fill(bottom, -1);
            for (var i = 0; i < local.Length; i++)
            {
                var id = local[i];
                var (x, y) = (i % crop.Width, i / crop.Width);
                (left[id], top[id], right[id], bottom[id]) = (Math.Min(left[id], x), Math.Min(top[id], y), Math.Max(right[id], x), Math.Max(bottom[id], y));
            }

            _boxes = [.. Enumerable.Range(0, objects + 1).Select(id => new PixelRect(left[id], top[id], right[id] - left[id] + 1, bottom[id] - top[id] + 1))];
            Ids = new int[objects + 1];
        }

        /// <summary>The image id of each local id; 0 stays 0 (background, or a speck left out).</summary>
        public int[] Ids { get; }

        public int IdAt(int x, int y) => Ids[_local[((y - _crop.Y) * _crop.Width) + (x - _crop.X)]];

        /// <summary>Local object <paramref name="id"/> cut out on its own box.</summary>
        public ImageObject Object(int id, int channels)
        {
            var inCrop = _boxes[id];
            var area = inCrop.Width * inCrop.Height;
            var pixels = new bool[area];
            var probability = new float[area];
            var channelCrops = Enumerable.Range(0, channels).Select(_ => new float[area]).ToArray();
            var plane = _crop.Width * _crop.Height;
            for (var y = 0; y < inCrop.Height; y++)
            {
                for (var x = 0; x < inCrop.Width; x++)
                {
                    var from = ((inCrop.Y + y) * _crop.Width) + inCrop.X + x;
                    if (_local[from] != id)
                    {
                        continue;
                    }

                    var to = (y * inCrop.Width) + x;
                    pixels[to] = true;
                    probability[to] = _probability[from];
                    for (var c = 0; c < channels; c++)
                    {
                        channelCrops[c][to] = _samples[(c * plane) + from];
                    }
                }
            }

            var box = inCrop with { X = _crop.X + inCrop.X, Y = _crop.Y + inCrop.Y };
            return new ImageObject(Ids[id], _classIndex, box, pixels, probability, channelCrops);
        }
    }

    /// <summary>Provisional labels with a union-find parent, the mask value and the bounding box of each set.</summary>
    private sealed class Regions
    {
        private int[] _parent = new int[1024];
        private byte[] _value = new byte[1024];
        private int[] _left = new int[1024];
        private int[] _right = new int[1024];
        private int[] _top = new int[1024];
        private int[] _bottom = new int[1024];
        private int _count = 1;

        public int Add(byte value, int x, int y)
        {
            if (_count == _parent.Length)
            {
                var size = (int)Math.Min((long)_count * 2, Array.MaxLength);
                Array.Resize(ref _parent, size);
                Array.Resize(ref _value, size);
                Array.Resize(ref _left, size);
                Array.Resize(ref _right, size);
                Array.Resize(ref _top, size);
                Array.Resize(ref _bottom, size);
            }

            (_parent[_count], _value[_count], _left[_count], _right[_count], _top[_count], _bottom[_count]) = (_count, value, x, x, y, y);
            return _count++;
        }

        public void Extend(int label, int x, int y)
        {
            var root = Find(label);
            (_left[root], _right[root], _bottom[root]) = (Math.Min(_left[root], x), Math.Max(_right[root], x), Math.Max(_bottom[root], y));
        }

        /// <summary>Joins two roots; the smaller label becomes the root, holding both boxes.</summary>
        public int Union(int a, int b)
        {
            var (root, child) = a < b ? (a, b) : (b, a);
            _parent[child] = root;
            (_left[root], _right[root]) = (Math.Min(_left[root], _left[child]), Math.Max(_right[root], _right[child]));
            (_top[root], _bottom[root]) = (Math.Min(_top[root], _top[child]), Math.Max(_bottom[root], _bottom[child]));
            return root;
        }

        public byte Value(int root) => _value[root];

        public int Top(int root) => _top[root];

        public int Bottom(int root) => _bottom[root];

        public PixelRect Box(int root) => new(_left[root], _top[root], _right[root] - _left[root] + 1, _bottom[root] - _top[root] + 1);

        public int Find(int label)
        {
            while (_parent[label] != label)
            {
                // Path halving keeps trees shallow without recursion.
                _parent[label] = _parent[_parent[label]];
                label = _parent[label];
            }

            return label;
        }
    }
}
