using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>
/// Encodes a job's masks and probability maps in its <see cref="MaskFormat"/>: whole, for an image held in
/// memory, or row by row, for one stitched from bands; both give the same bytes for the same pixels. PNG
/// is <see cref="MaskWriter"/>'s; TIFF and OME-TIFF are libvips' and carry the input's pixel size.
/// </summary>
public sealed class MaskEncoder
{
    private const string MaskChannel = "mask";

    private readonly TiffMaskWriter? _tiff;

    public MaskEncoder(MaskFormat format)
    {
        _tiff = format == MaskFormat.Png ? null : new TiffMaskWriter(format);
    }

    /// <summary>Whether the format records a pixel size, so the input's is worth reading.</summary>
    public bool KeepsPixelSize => _tiff is not null;

    public byte[] EncodeMask(SegmentationMask mask, PhysicalPixelSize? pixelSize)
    {
        if (_tiff is null)
        {
            return MaskWriter.EncodeMaskPng(mask);
        }

        using var pixels = Image.NewFromMemory(mask.Labels, mask.Width, mask.Height, 1, Enums.BandFormat.Uchar);
        return _tiff.Encode(pixels, MaskChannel, pixelSize);
    }

    /// <summary>A 16-bit probability map (see <see cref="MaskBuilder.ProbabilityMap16"/>).</summary>
    public byte[] EncodeProbability(ushort[] probabilities, int width, int height, PhysicalPixelSize? pixelSize)
    {
        if (_tiff is null)
        {
            return MaskWriter.EncodeProbabilityPng(probabilities, width, height);
        }

        ArgumentOutOfRangeException.ThrowIfNotEqual(probabilities.LongLength, (long)width * height, nameof(probabilities));
        using var pixels = Image.NewFromMemory(probabilities, width, height, 1, Enums.BandFormat.Ushort);
        return _tiff.Encode(pixels, TiffMaskWriter.ProbabilityChannel, pixelSize);
    }

    /// <summary>A writer of a mask, row by row, to <paramref name="output"/>.</summary>
    public IRowWriter MaskRows(Stream output, int width, int height, PhysicalPixelSize? pixelSize) =>
        _tiff is null ? MaskWriter.MaskPng(output, width, height) : new TiffRowWriter(_tiff, output, width, height, sixteenBit: false, MaskChannel, pixelSize);

    /// <summary>A writer of a 16-bit probability map, row by row, to <paramref name="output"/>.</summary>
    public IRowWriter ProbabilityRows(Stream output, int width, int height, PhysicalPixelSize? pixelSize) =>
        _tiff is null ? MaskWriter.ProbabilityPng(output, width, height) : new TiffRowWriter(_tiff, output, width, height, sixteenBit: true, TiffMaskWriter.ProbabilityChannel, pixelSize);
}
