using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>
/// Writes masks and probability maps as TIFF through libvips: tiled and deflated, with the input's
/// resolution; as OME-TIFF also pyramidal (each level half the one above, down to the first whose
/// longest side fits one tile, stored as SubIFDs) with OME-XML in the first IFD. A mask's levels take
/// the nearest label, never a blend of labels no class or object has; a probability map's take the mean.
/// libvips writes as it reads, so an image read from disk in strips is written with the memory of a strip.
/// </summary>
public sealed class TiffMaskWriter
{
    /// <summary>The tile edge; also where the pyramid stops: its last level's longest side is at most this.</summary>
    public const int TileSize = 1024;

    /// <summary>
    /// The tile edge of an image: <see cref="TileSize"/>, or a smaller image's longest side rounded up to
    /// TIFF's multiple of 16, as libvips refuses to read tiles far larger than their image.
    /// </summary>
    public static int TileFor(int width, int height) => Math.Min(TileSize, (Math.Max(width, height) + 15) / 16 * 16);

    /// <summary>The channel name of a probability map: the one kind of file whose pyramid levels are means, not nearest samples.</summary>
    public const string ProbabilityChannel = "probability";

    static TiffMaskWriter() => VipsSettings.Apply();

    private readonly bool _ome;

    public TiffMaskWriter(MaskFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfEqual(format, MaskFormat.Png);
        _ome = format == MaskFormat.OmeTiff;
    }

    /// <summary>The file's bytes, for an image held in memory.</summary>
    /// <param name="pixels">One band of 8-bit mask labels, 16-bit probabilities, or 16- or 32-bit object ids.</param>
    /// <param name="channel">What the samples are, for the OME-XML (<c>mask</c>, <c>probability</c>, <c>instances</c>).</param>
    /// <param name="pixelSize">The input's pixel size, or null when it has none.</param>
    public byte[] Encode(Image pixels, string channel, PhysicalPixelSize? pixelSize)
    {
        using var described = Describe(pixels, channel, pixelSize);
        return (byte[])Operation.Call("tiffsave_buffer", Options(pixels, channel), described);
    }

    /// <summary>Writes the file at <paramref name="path"/>, reading <paramref name="pixels"/> once, top to bottom.</summary>
    public void Save(Image pixels, string channel, PhysicalPixelSize? pixelSize, string path)
    {
        using var described = Describe(pixels, channel, pixelSize);
        Operation.Call("tiffsave", Options(pixels, channel), described, path);
    }

    private Image Describe(Image pixels, string channel, PhysicalPixelSize? pixelSize)
    {
        var sixteenBit = pixels.Format == Enums.BandFormat.Ushort;
        // Set whatever the pixels came from (memory, a streamed PNG), so the same pixels give the same bytes.
        // Without the input's pixel size this is libvips' own 1 pixel per millimetre: TIFF's tags cannot say "unknown".
        using var gray = pixels.Copy(
            interpretation: sixteenBit ? Enums.Interpretation.Grey16 : pixels.Format == Enums.BandFormat.Uchar ? Enums.Interpretation.Bw : Enums.Interpretation.Multiband,
            xres: pixelSize?.XPixelsPerMillimetre ?? 1,
            yres: pixelSize?.YPixelsPerMillimetre ?? 1);
        return _ome
            ? gray.Mutate(image => image.Set(GValue.GStrType, "image-description", OmeTiffMetadata.Describe(channel, pixels.Width, pixels.Height, OmeTiffMetadata.TypeOf(pixels.Format), pixelSize)))
            : gray.Copy();
    }

    private VOption Options(Image pixels, string channel)
    {
        var options = new VOption
        {
            { "compression", Enums.ForeignTiffCompression.Deflate },
            { "predictor", Enums.ForeignTiffPredictor.Horizontal },
            { "tile", true },
            { "resunit", Enums.ForeignTiffResunit.Cm },
            { "tile_width", TileFor(pixels.Width, pixels.Height) },
            { "tile_height", TileFor(pixels.Width, pixels.Height) },
        };
        if (_ome)
        {
            options.Add("pyramid", true);
            options.Add("subifd", true);
            options.Add("depth", Enums.ForeignDzDepth.Onetile);
            options.Add("region_shrink", channel == ProbabilityChannel ? Enums.RegionShrink.Mean : Enums.RegionShrink.Nearest);
        }

        return options;
    }
}
