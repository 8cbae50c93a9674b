using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>How overlay previews look.</summary>
public sealed record OverlayOptions
{
    /// <summary>Opacity of the class colour laid over mask pixels inside the outline; 0 draws outlines only.</summary>
    public double FillOpacity { get; init; } = 0.3;
}

/// <summary>Where <see cref="MaskWriter.Write"/> puts each file; a null path skips that file.</summary>
/// <param name="Mask">8-bit gray mask (0/255, or class indices).</param>
/// <param name="Probability">16-bit gray foreground probability map.</param>
/// <param name="Overlay">8-bit RGB preview of the image with the mask drawn on it.</param>
public sealed record MaskOutputPaths(string Mask, string? Probability = null, string? Overlay = null);

/// <summary>
/// Encodes masks, probability maps and overlay previews as PNG, and writes files so that a reader never
/// sees a partial file: each file is written under a temporary name in the destination folder and renamed
/// into place only once complete. Encoding is separate from writing so other stores can take the bytes.
/// </summary>
public sealed class MaskWriter
{
    /// <summary>Bright, mutually distinct outline colours; class k uses entry (k − 1) mod length.</summary>
    private static readonly (byte R, byte G, byte B)[] Palette =
    [
        (255, 255, 0),
        (0, 255, 255),
        (255, 0, 255),
        (0, 255, 0),
        (255, 128, 0),
        (255, 0, 0),
        (0, 128, 255),
        (255, 255, 255),
    ];

    static MaskWriter() => VipsSettings.Apply();

    public MaskWriter(OverlayOptions overlay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(overlay.FillOpacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(overlay.FillOpacity, 1.0);
        Overlay = overlay;
    }

    public OverlayOptions Overlay { get; }

    /// <summary>The colour class <paramref name="classIndex"/> (≥ 1) is drawn in.</summary>
    public static (byte R, byte G, byte B) ColorOf(int classIndex) => Palette[(classIndex - 1) % Palette.Length];

    /// <summary>The mask as an 8-bit gray PNG holding its labels unchanged.</summary>
    public static byte[] EncodeMaskPng(SegmentationMask mask)
    {
        using var image = Image.NewFromMemory(mask.Labels, mask.Width, mask.Height, 1, Enums.BandFormat.Uchar);
        using var gray = image.Copy(interpretation: Enums.Interpretation.Bw);
        return gray.PngsaveBuffer();
    }

    /// <summary>A 16-bit probability map (see <see cref="MaskBuilder.ProbabilityMap16"/>) as a 16-bit gray PNG.</summary>
    public static byte[] EncodeProbabilityPng(ushort[] probabilities, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(probabilities.LongLength, (long)width * height, nameof(probabilities));
        using var image = Image.NewFromMemory(probabilities, width, height, 1, Enums.BandFormat.Ushort);
        // Without the 16-bit interpretation libvips would save 8 bits.
        using var gray = image.Copy(interpretation: Enums.Interpretation.Grey16);
        return gray.PngsaveBuffer();
    }

    /// <summary>
    /// The original image with every object outlined in its class colour (outline = mask pixels with a
    /// 4-neighbour of another class or beyond the image edge) and, if configured, a translucent fill.
    /// </summary>
    public byte[] EncodeOverlayPng(Rgb8Image original, SegmentationMask mask)
    {
        var rgb = DrawOverlay(original, mask);
        using var image = Image.NewFromMemory(rgb, original.Width, original.Height, 3, Enums.BandFormat.Uchar);
        using var srgb = image.Copy(interpretation: Enums.Interpretation.Srgb);
        return srgb.PngsaveBuffer();
    }

    /// <summary>
    /// Writes the mask and, when their paths are given, the probability map and the overlay. Each file
    /// appears complete or not at all.
    /// </summary>
    public void Write(MaskOutputPaths paths, SegmentationMask mask, ushort[]? probability = null, Rgb8Image? original = null)
    {
        if (paths.Probability is not null && probability is null)
        {
            throw new ArgumentException("A probability path needs a probability map.", nameof(probability));
        }

        if (paths.Overlay is not null && original is null)
        {
            throw new ArgumentException("An overlay path needs the original image.", nameof(original));
        }

        AtomicFile.Write(paths.Mask, EncodeMaskPng(mask));
        if (paths.Probability is not null)
        {
            AtomicFile.Write(paths.Probability, EncodeProbabilityPng(probability!, mask.Width, mask.Height));
        }

        if (paths.Overlay is not null)
        {
            AtomicFile.Write(paths.Overlay, EncodeOverlayPng(original!, mask));
        }
    }

    private byte[] DrawOverlay(Rgb8Image original, SegmentationMask mask)
    {
        if (original.Width != mask.Width || original.Height != mask.Height)
        {
            throw new ArgumentException($"The image is {original.Width}×{original.Height} but the mask is {mask.Width}×{mask.Height}.", nameof(mask));
        }

        var width = mask.Width;
        var height = mask.Height;
        var labels = mask.Labels;
        var rgb = (byte[])original.Pixels.Clone();
        var opacity = Overlay.FillOpacity;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var label = labels[i];
                if (label == 0)
                {
                    continue;
                }

                var outline = x == 0 || y == 0 || x == width - 1 || y == height - 1
                    || labels[i - 1] != label || labels[i + 1] != label
                    || labels[i - width] != label || labels[i + width] != label;
                var (r, g, b) = ColorOf(mask.ClassOf(label));
                var alpha = outline ? 1.0 : opacity;
                var p = i * 3;
                rgb[p] = Blend(rgb[p], r, alpha);
                rgb[p + 1] = Blend(rgb[p + 1], g, alpha);
                rgb[p + 2] = Blend(rgb[p + 2], b, alpha);
            }
        }

        return rgb;
    }

    private static byte Blend(byte under, byte over, double alpha) => (byte)Math.Round((under * (1 - alpha)) + (over * alpha));
}
