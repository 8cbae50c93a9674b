using System.Runtime.InteropServices;
using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>
/// Writes a TIFF or OME-TIFF row by row for an image too large to hold: the rows go to a raw file on
/// local disk as they come, and when the last is there libvips makes the TIFF from that file, reading it
/// in strips, and it is copied to the output. Memory stays a few rows and libvips' strip however large
/// the image; the disk holds the raw samples for a while. The same rows give the same bytes as
/// <see cref="TiffMaskWriter.Encode"/> of the whole image.
/// </summary>
public sealed class TiffRowWriter : IRowWriter
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "unetpp-scratch");

    private readonly TiffMaskWriter _tiff;
    private readonly Stream _output;
    private readonly string _channel;
    private readonly PhysicalPixelSize? _pixelSize;
    private readonly bool _sixteenBit;
    private readonly string _rawPath;
    private readonly FileStream _raw;
    private int _rows;
    private bool _finished;

    /// <param name="tiff">How the TIFF is written.</param>
    /// <param name="output">Where the TIFF goes once every row is in; left open.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height: exactly this many rows must be written before <see cref="Finish"/>.</param>
    /// <param name="sixteenBit">16-bit samples (probabilities) rather than 8-bit labels.</param>
    /// <param name="channel">What the samples are, for the OME-XML.</param>
    /// <param name="pixelSize">The input's pixel size, or null when it has none.</param>
    public TiffRowWriter(TiffMaskWriter tiff, Stream output, int width, int height, bool sixteenBit, string channel, PhysicalPixelSize? pixelSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        (_tiff, _output, Width, Height, _sixteenBit, _channel, _pixelSize) = (tiff, output, width, height, sixteenBit, channel, pixelSize);
        Directory.CreateDirectory(Folder);
        _rawPath = Path.Combine(Folder, $"{Guid.NewGuid():N}.raw");
        _raw = new FileStream(_rawPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
    }

    public int Width { get; }

    public int Height { get; }

    public void WriteRow(ReadOnlySpan<byte> row)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ArgumentOutOfRangeException.ThrowIfNotEqual(row.Length, Width * (_sixteenBit ? 2 : 1), nameof(row));
        if (_rows == Height)
        {
            throw new InvalidOperationException($"All {Height} rows have been written.");
        }

        _raw.Write(row);
        _rows++;
    }

    /// <summary>Appends a row of 16-bit samples, kept in this machine's byte order, which is what libvips reads raw.</summary>
    public void WriteRow(ReadOnlySpan<ushort> row)
    {
        if (!_sixteenBit)
        {
            throw new InvalidOperationException("16-bit rows are for 16-bit images.");
        }

        WriteRow(MemoryMarshal.AsBytes(row));
    }

    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_rows != Height)
        {
            throw new InvalidOperationException($"{_rows} of {Height} rows were written.");
        }

        _finished = true;
        _raw.Dispose();
        var tiffPath = Path.ChangeExtension(_rawPath, ".tif");
        try
        {
            using (var raw = Image.Rawload(_rawPath, Width, Height, 1, format: _sixteenBit ? Enums.BandFormat.Ushort : Enums.BandFormat.Uchar))
            {
                _tiff.Save(raw, _channel, _pixelSize, tiffPath);
            }

            using var written = File.OpenRead(tiffPath);
            written.CopyTo(_output);
        }
        finally
        {
            File.Delete(tiffPath);
            File.Delete(_rawPath);
        }
    }

    public void Dispose()
    {
        if (!_finished)
        {
            _finished = true;
            _raw.Dispose();
            File.Delete(_rawPath);
        }
    }
}
