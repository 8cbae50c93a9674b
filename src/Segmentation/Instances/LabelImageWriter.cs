using System.Buffers.Binary;
using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// Writes an instance label image row by row. How wide its samples must be is known only at the end, so
/// the rows wait on local disk as 32-bit ids; then up to 65,535 objects go out as 16-bit (a PNG, or the
/// job's TIFF or OME-TIFF), more as a 32-bit TIFF (OME-TIFF for an OME-TIFF job; PNG has no 32-bit gray).
/// The same rows give the same bytes whether the image was segmented whole or stitched from bands.
/// </summary>
public sealed class LabelImageWriter : IDisposable
{
    /// <summary>The channel name in an OME-TIFF's metadata.</summary>
    private const string Channel = "instances";

    private readonly MaskFormat _format;
    private readonly int _width;
    private readonly int _height;
    private readonly PhysicalPixelSize? _pixelSize;
    private readonly string _scratchPath;
    private readonly FileStream _scratch;
    private readonly byte[] _row;
    private int _rows;
    private int _largest;
    private bool _finished;

    /// <param name="format">The job's mask format.</param>
    /// <param name="pixelSize">The input's pixel size, for a TIFF; null when it has none.</param>
    public LabelImageWriter(MaskFormat format, int width, int height, PhysicalPixelSize? pixelSize)
    {
        (_format, _width, _height, _pixelSize) = (format, width, height, pixelSize);
        Directory.CreateDirectory(TiffRowWriter.Folder);
        _scratchPath = Path.Combine(TiffRowWriter.Folder, $"{Guid.NewGuid():N}.u32");
        _scratch = new FileStream(_scratchPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose);
        _row = new byte[width * sizeof(uint)];
    }

    /// <summary>The label image's file name for an image (<c>x.tif#z3</c> gives <c>x.z3.png</c>) once its object count is known.</summary>
    public static string FileName(string imageName, MaskFormat format, int objects) =>
        format == MaskFormat.Png && objects > ushort.MaxValue
            ? MaskFormats.FileName(imageName, MaskFormat.Tiff)
            : MaskFormats.FileName(imageName, format);

    public void WriteRow(ReadOnlySpan<int> ids)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(ids.Length, _width, nameof(ids));
        for (var x = 0; x < ids.Length; x++)
        {
            _largest = Math.Max(_largest, ids[x]);
            BinaryPrimitives.WriteUInt32LittleEndian(_row.AsSpan(x * sizeof(uint)), (uint)ids[x]);
        }

        _scratch.Write(_row);
        _rows++;
    }

    /// <summary>Writes the label image to <paramref name="output"/> (left open); every row must have been written.</summary>
    public void Finish(Stream output)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_rows != _height)
        {
            throw new InvalidOperationException($"{_rows} of the label image's {_height} rows were written.");
        }

        _finished = true;
        _scratch.Flush();
        if (_largest <= ushort.MaxValue)
        {
            WriteSixteenBit(output);
        }
        else
        {
            WriteThirtyTwoBit(output);
        }

        _scratch.Dispose();
    }

    public void Dispose() => _scratch.Dispose();

    private void WriteSixteenBit(Stream output)
    {
        using IRowWriter writer = _format == MaskFormat.Png
            ? new PngStreamWriter(output, _width, _height, PngPixels.Gray16, System.IO.Compression.CompressionLevel.Optimal)
            : new TiffRowWriter(new TiffMaskWriter(_format), output, _width, _height, sixteenBit: true, Channel, _pixelSize);
        var ids = new ushort[_width];
        _scratch.Position = 0;
        for (var y = 0; y < _height; y++)
        {
            _scratch.ReadExactly(_row);
            for (var x = 0; x < _width; x++)
            {
                ids[x] = (ushort)BinaryPrimitives.ReadUInt32LittleEndian(_row.AsSpan(x * sizeof(uint)));
            }

            writer.WriteRow(ids);
        }

        writer.Finish();
    }

    /// <remarks>libvips maps the raw rows; at more than 65,535 objects the image is a large one anyway.</remarks>
    private void WriteThirtyTwoBit(Stream output)
    {
        var tiffPath = Path.ChangeExtension(_scratchPath, ".tif");
        try
        {
            using (var rows = Image.Rawload(_scratchPath, _width, _height, 1, format: Enums.BandFormat.Uint))
            {
                new TiffMaskWriter(_format == MaskFormat.OmeTiff ? MaskFormat.OmeTiff : MaskFormat.Tiff).Save(rows, Channel, _pixelSize, tiffPath);
            }

            using var written = File.OpenRead(tiffPath);
            written.CopyTo(output);
        }
        finally
        {
            File.Delete(tiffPath);
        }
    }
}
