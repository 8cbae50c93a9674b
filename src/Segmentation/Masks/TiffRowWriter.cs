using System.IO.Compression;
using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>
/// Writes a TIFF or OME-TIFF row by row for an image too large to hold: the rows go to a PNG on local
/// disk as they come (quickly deflated; libvips reads a PNG as a stream, where a raw file would be mapped
/// and its pages, once read, count as the process's memory), and when the last is there libvips makes the
/// TIFF from it, top to bottom, and it is copied to the output. Memory stays a few rows and libvips'
/// strips however large the image; the disk holds the samples for a while. The same rows give the same
/// bytes as <see cref="TiffMaskWriter.Encode"/> of the whole image.
/// </summary>
public sealed class TiffRowWriter : IRowWriter
{
    /// <summary>Where rows wait on local disk; shared by every writer that holds rows there.</summary>
    internal static readonly string Folder = Path.Combine(Path.GetTempPath(), "unetpp-scratch");

    private readonly TiffMaskWriter _tiff;
    private readonly Stream _output;
    private readonly string _channel;
    private readonly PhysicalPixelSize? _pixelSize;
    private readonly string _scratchPath;
    private readonly FileStream _scratch;
    private readonly PngStreamWriter _rows;
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
        (_tiff, _output, _channel, _pixelSize) = (tiff, output, channel, pixelSize);
        Directory.CreateDirectory(Folder);
        _scratchPath = Path.Combine(Folder, $"{Guid.NewGuid():N}.png");
        _scratch = new FileStream(_scratchPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        _rows = new PngStreamWriter(_scratch, width, height, sixteenBit ? PngPixels.Gray16 : PngPixels.Gray8, CompressionLevel.Fastest);
    }

    public void WriteRow(ReadOnlySpan<byte> row) => _rows.WriteRow(row);

    public void WriteRow(ReadOnlySpan<ushort> row) => _rows.WriteRow(row);

    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _rows.Finish();
        _finished = true;
        _scratch.Dispose();
        var tiffPath = Path.ChangeExtension(_scratchPath, ".tif");
        try
        {
            using (var rows = Image.NewFromFile(_scratchPath, access: Enums.Access.Sequential))
            {
                _tiff.Save(rows, _channel, _pixelSize, tiffPath);
            }

            using var written = File.OpenRead(tiffPath);
            written.CopyTo(_output);
        }
        finally
        {
            File.Delete(tiffPath);
            File.Delete(_scratchPath);
        }
    }

    public void Dispose()
    {
        if (!_finished)
        {
            _finished = true;
            _rows.Dispose();
            _scratch.Dispose();
            File.Delete(_scratchPath);
        }
    }
}
