using System.IO.Compression;
using System.Runtime.InteropServices;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Bands;

/// <summary>
/// Writes one band's part (<see cref="BandPartFormat"/>) row by row as the band's strips are
/// finished. The output must be seekable: the length is filled in once everything is written.
/// </summary>
public sealed class BandPartWriter : IDisposable
{
    private readonly Stream _output;
    private readonly long _start;
    private readonly ZLibStream _compressed;
    private readonly BinaryWriter _writer;
    private int _rows;
    private bool _finished;

    /// <param name="output">A seekable stream, left open; the part starts at its current position.</param>
    /// <param name="imageWidth">The whole image's width.</param>
    /// <param name="imageHeight">The whole image's height.</param>
    /// <param name="band">The band's place in the image.</param>
    /// <param name="classes">The model's output channels (K).</param>
    /// <param name="withProbability">Whether each row carries its 16-bit foreground probability.</param>
    public BandPartWriter(Stream output, int imageWidth, int imageHeight, PixelRect band, int classes, bool withProbability)
    {
        if (!output.CanSeek)
        {
            throw new ArgumentException("A band part is written to a seekable stream.", nameof(output));
        }

        if (band.Area == 0 || !PixelRect.Whole(imageWidth, imageHeight).Contains(band))
        {
            throw new ArgumentOutOfRangeException(nameof(band), band, $"The band must be a non-empty part of the {imageWidth}×{imageHeight} image.");
        }

        _output = output;
        Band = band;
        WithProbability = withProbability;
        _start = output.Position;
        output.Write(BandPartFormat.Magic);
        output.Write(new byte[sizeof(long)]);
        _compressed = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true);
        _writer = new BinaryWriter(_compressed, BandPartFormat.Text, leaveOpen: true);
        _writer.Write(imageWidth);
        _writer.Write(imageHeight);
        _writer.Write(band.X);
        _writer.Write(band.Y);
        _writer.Write(band.Width);
        _writer.Write(band.Height);
        _writer.Write(classes);
        _writer.Write(withProbability);
    }

    public PixelRect Band { get; }

    public bool WithProbability { get; }

    /// <summary>Appends the band's next rows: labels row-major, and their probabilities when the part keeps them.</summary>
    public void WriteRows(ReadOnlySpan<byte> labels, ReadOnlySpan<ushort> probability)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (labels.Length % Band.Width != 0 || _rows + (labels.Length / Band.Width) > Band.Height)
        {
            throw new ArgumentException($"{labels.Length} labels are not whole rows of the {Band.Height - _rows} left of band {Band}.", nameof(labels));
        }

        if (probability.Length != (WithProbability ? labels.Length : 0))
        {
            throw new ArgumentException($"Expected {(WithProbability ? labels.Length : 0)} probabilities.", nameof(probability));
        }

        // Row by row, each row's labels then its probabilities, as the stitcher reads them.
        var width = Band.Width;
        for (var offset = 0; offset < labels.Length; offset += width)
        {
            _writer.Write(labels.Slice(offset, width));
            if (WithProbability)
            {
                _writer.Write(MemoryMarshal.AsBytes(probability.Slice(offset, width)));
            }
        }

        _rows += labels.Length / width;
    }

    /// <summary>Ends the part with what the stitcher adds up; every row must have been written.</summary>
    /// <param name="faint">Whether the band's input rows were too faint for the fixed normalisation (<see cref="StreamedImage.Faint"/>).</param>
    public void Finish(int tiles, ClassTotals totals, IReadOnlyList<ClassQuality>? quality, bool faint = false)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_rows != Band.Height)
        {
            throw new InvalidOperationException($"{_rows} of band {Band}'s {Band.Height} rows were written.");
        }

        _writer.Write(tiles);
        _writer.Write(totals.Pixels.Length);
        for (var i = 0; i < totals.Pixels.Length; i++)
        {
            _writer.Write(totals.Pixels[i]);
            _writer.Write(totals.ProbabilitySums[i]);
        }

        _writer.Write(quality?.Count ?? -1);
        foreach (var q in quality ?? [])
        {
            _writer.Write(q.ClassIndex);
            _writer.Write(q.Intersection);
            _writer.Write(q.PredictedPixels);
            _writer.Write(q.TruthPixels);
        }

        _writer.Write(faint);

        _finished = true;
        _writer.Dispose();
        _compressed.Dispose();
        var end = _output.Position;
        _output.Position = _start + BandPartFormat.Magic.Length;
        _output.Write(BitConverter.GetBytes(end - _start - BandPartFormat.Header));
        _output.Position = end;
        _output.Flush();
    }

    public void Dispose()
    {
        if (!_finished)
        {
            _finished = true;
            _writer.Dispose();
            _compressed.Dispose();
        }
    }
}
