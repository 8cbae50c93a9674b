using System.IO.Compression;
using System.Runtime.InteropServices;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Regions;

/// <summary>What a region part ends with: the tiles inferred for it and the counts added up over the image.</summary>
/// <param name="Tiles">Grid tiles segmented for this region, those shared with neighbouring regions included.</param>
/// <param name="Totals">Pixels and probability sums per class over the region.</param>
/// <param name="Quality">Agreement with ground truth over the region, when there was ground truth.</param>
public sealed record RegionPartSummary(int Tiles, ClassTotals Totals, IReadOnlyList<ClassQuality>? Quality);

/// <summary>
/// Reads one region's part (<see cref="RegionPartFormat"/>) row by row. Every problem with the bytes
/// is an <see cref="InvalidDataException"/>: a part is never half-read into a mask without saying so.
/// </summary>
public sealed class RegionPartReader : IDisposable
{
    private readonly ZLibStream _compressed;
    private readonly BinaryReader _reader;
    private int _rows;

    /// <param name="input">A seekable stream holding exactly one part from its start; disposed with the reader.</param>
    /// <exception cref="InvalidDataException">The stream does not hold a whole region part.</exception>
    public RegionPartReader(Stream input)
    {
        Span<byte> start = stackalloc byte[RegionPartFormat.Header];
        input.Position = 0;
        if (input.Length < RegionPartFormat.Header
            || input.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) != start.Length
            || !start.StartsWith(RegionPartFormat.Magic))
        {
            input.Dispose();
            throw new InvalidDataException("not a region part");
        }

        var length = BitConverter.ToInt64(start[RegionPartFormat.Magic.Length..]);
        var stored = input.Length - RegionPartFormat.Header;
        if (length != stored)
        {
            input.Dispose();
            throw new InvalidDataException($"a region part of {stored} bytes that should have {length}");
        }

        _compressed = new ZLibStream(input, CompressionMode.Decompress);
        _reader = new BinaryReader(_compressed, RegionPartFormat.Text);
        try
        {
            ImageWidth = _reader.ReadInt32();
            ImageHeight = _reader.ReadInt32();
            Region = new PixelRect(_reader.ReadInt32(), _reader.ReadInt32(), _reader.ReadInt32(), _reader.ReadInt32());
            Classes = _reader.ReadInt32();
            WithProbability = _reader.ReadBoolean();
            if (ImageWidth <= 0 || ImageHeight <= 0 || Region.Width <= 0 || Region.Height <= 0
                || !PixelRect.Whole(ImageWidth, ImageHeight).Contains(Region) || Classes is < 1 or > 256)
            {
                throw new InvalidDataException($"region {Region} of a {ImageWidth}×{ImageHeight} image with {Classes} classes");
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            Dispose();
            throw Damaged(ex);
        }
    }

    public int ImageWidth { get; }

    public int ImageHeight { get; }

    public PixelRect Region { get; }

    /// <summary>The model's output channels (K).</summary>
    public int Classes { get; }

    public bool WithProbability { get; }

    /// <summary>Reads the region's next row: its labels, and its probabilities when the part keeps them (else leave it empty).</summary>
    public void ReadRow(Span<byte> labels, Span<ushort> probability)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(labels.Length, Region.Width, nameof(labels));
        if (_rows == Region.Height)
        {
            throw new InvalidOperationException($"All {Region.Height} rows of region {Region} have been read.");
        }

        try
        {
            _compressed.ReadExactly(labels);
            if (WithProbability)
            {
                ArgumentOutOfRangeException.ThrowIfNotEqual(probability.Length, Region.Width, nameof(probability));
                _compressed.ReadExactly(MemoryMarshal.AsBytes(probability));
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            throw Damaged(ex);
        }

        _rows++;
    }

    /// <summary>Reads what follows the rows; every row must have been read.</summary>
    public RegionPartSummary ReadSummary()
    {
        if (_rows != Region.Height)
        {
            throw new InvalidOperationException($"{_rows} of region {Region}'s {Region.Height} rows were read.");
        }

        try
        {
            var tiles = _reader.ReadInt32();
            var totalsLength = _reader.ReadInt32();
            if (totalsLength is < 2 or > 256)
            {
                throw new InvalidDataException($"{totalsLength} class totals");
            }

            var pixels = new long[totalsLength];
            var sums = new double[totalsLength];
            for (var i = 0; i < totalsLength; i++)
            {
                pixels[i] = _reader.ReadInt64();
                sums[i] = _reader.ReadDouble();
            }

            var qualityCount = _reader.ReadInt32();
            List<ClassQuality>? quality = null;
            if (qualityCount >= 0)
            {
                quality = [];
                for (var i = 0; i < qualityCount; i++)
                {
                    var classIndex = _reader.ReadInt32();
                    quality.Add(SegmentationQuality.FromCounts(classIndex, _reader.ReadInt64(), _reader.ReadInt64(), _reader.ReadInt64()));
                }
            }

            return new RegionPartSummary(tiles, new ClassTotals(pixels, sums), quality);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            throw Damaged(ex);
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _compressed.Dispose();
    }

    private static InvalidDataException Damaged(Exception ex) => new($"a damaged region part ({ex.Message})", ex);
}
