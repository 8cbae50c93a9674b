using System.IO.Compression;
using System.Runtime.InteropServices;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Bands;

/// <summary>What a band part ends with: the tiles inferred for it and the counts added up over the image.</summary>
/// <param name="Tiles">Grid tiles segmented for this band, those shared with neighbouring bands included.</param>
/// <param name="Totals">Pixels and probability sums per class over the band.</param>
/// <param name="Quality">Agreement with ground truth over the band, when there was ground truth.</param>
/// <param name="Faint">Whether the band's input rows were too faint for the fixed normalisation.</param>
public sealed record BandPartSummary(int Tiles, ClassTotals Totals, IReadOnlyList<ClassQuality>? Quality, bool Faint);

/// <summary>
/// Reads one band's part (<see cref="BandPartFormat"/>) row by row. Every problem with the bytes
/// is an <see cref="InvalidDataException"/>: a part is never half-read into a mask without saying so.
/// </summary>
public sealed class BandPartReader : IDisposable
{
    private readonly ZLibStream _compressed;
    private readonly BinaryReader _reader;
    private int _rows;

    /// <param name="input">A seekable stream holding exactly one part from its start; disposed with the reader.</param>
    /// <exception cref="InvalidDataException">The stream does not hold a whole band part.</exception>
    public BandPartReader(Stream input)
    {
        Span<byte> start = stackalloc byte[BandPartFormat.Header];
        input.Position = 0;
        if (input.Length < BandPartFormat.Header
            || input.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) != start.Length
            || !start.StartsWith(BandPartFormat.Magic))
        {
            input.Dispose();
            throw new InvalidDataException("not a band part");
        }

        var length = BitConverter.ToInt64(start[BandPartFormat.Magic.Length..]);
        var stored = input.Length - BandPartFormat.Header;
        if (length != stored)
        {
            input.Dispose();
            throw new InvalidDataException($"a band part of {stored} bytes that should have {length}");
        }

        _compressed = new ZLibStream(input, CompressionMode.Decompress);
        _reader = new BinaryReader(_compressed, BandPartFormat.Text);
        try
        {
            ImageWidth = _reader.ReadInt32();
            ImageHeight = _reader.ReadInt32();
            Band = new PixelRect(_reader.ReadInt32(), _reader.ReadInt32(), _reader.ReadInt32(), _reader.ReadInt32());
            Classes = _reader.ReadInt32();
            WithProbability = _reader.ReadBoolean();
            if (ImageWidth <= 0 || ImageHeight <= 0 || Band.Width <= 0 || Band.Height <= 0
                || !PixelRect.Whole(ImageWidth, ImageHeight).Contains(Band) || Classes is < 1 or > 256)
            {
                throw new InvalidDataException($"band {Band} of a {ImageWidth}×{ImageHeight} image with {Classes} classes");
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

    public PixelRect Band { get; }

    /// <summary>The model's output channels (K).</summary>
    public int Classes { get; }

    public bool WithProbability { get; }

    /// <summary>Reads the band's next row: its labels, and its probabilities when the part keeps them (else leave it empty).</summary>
    public void ReadRow(Span<byte> labels, Span<ushort> probability)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(labels.Length, Band.Width, nameof(labels));
        if (_rows == Band.Height)
        {
            throw new InvalidOperationException($"All {Band.Height} rows of band {Band} have been read.");
        }

        try
        {
            _compressed.ReadExactly(labels);
            if (WithProbability)
            {
                ArgumentOutOfRangeException.ThrowIfNotEqual(probability.Length, Band.Width, nameof(probability));
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
    public BandPartSummary ReadSummary()
    {
        if (_rows != Band.Height)
        {
            throw new InvalidOperationException($"{_rows} of band {Band}'s {Band.Height} rows were read.");
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

            return new BandPartSummary(tiles, new ClassTotals(pixels, sums), quality, _reader.ReadBoolean());
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

    private static InvalidDataException Damaged(Exception ex) => new($"a damaged band part ({ex.Message})", ex);
}
