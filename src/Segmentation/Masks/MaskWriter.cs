using System.IO.Compression;
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
        using var buffer = new MemoryStream();
        using var png = MaskPng(buffer, mask.Width, mask.Height);
        for (var y = 0; y < mask.Height; y++)
        {
            png.WriteRow(mask.Labels.AsSpan(y * mask.Width, mask.Width));
        }

        png.Finish();
        return buffer.ToArray();
    }

    /// <summary>A 16-bit probability map (see <see cref="MaskBuilder.ProbabilityMap16"/>) as a 16-bit gray PNG.</summary>
    public static byte[] EncodeProbabilityPng(ushort[] probabilities, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(probabilities.LongLength, (long)width * height, nameof(probabilities));
        using var buffer = new MemoryStream();
        using var png = ProbabilityPng(buffer, width, height);
        for (var y = 0; y < height; y++)
        {
            png.WriteRow(probabilities.AsSpan(y * width, width));
        }

        png.Finish();
        return buffer.ToArray();
    }

    /// <summary>A writer for a mask PNG, row by row: <see cref="EncodeMaskPng"/> for an image too large to hold.</summary>
    public static PngStreamWriter MaskPng(Stream output, int width, int height) =>
        new(output, width, height, PngPixels.Gray8, CompressionLevel.Optimal);

    /// <summary>A writer for a probability PNG, row by row. Probabilities are noisy, so they get the fast deflate.</summary>
    public static PngStreamWriter ProbabilityPng(Stream output, int width, int height) =>
        new(output, width, height, PngPixels.Gray16, CompressionLevel.Fastest);

    /// <summary>A writer for an overlay PNG, row by row (see <see cref="DrawOverlayRow"/>).</summary>
    public static PngStreamWriter OverlayPng(Stream output, int width, int height) =>
        new(output, width, height, PngPixels.Rgb8, CompressionLevel.Fastest);

    /// <summary>
    /// The original image with every object outlined in its class colour (outline = mask pixels with a
    /// 4-neighbour of another class or beyond the image edge) and, if configured, a translucent fill.
    /// </summary>
    public byte[] EncodeOverlayPng(Rgb8Image original, SegmentationMask mask)
    {
        if (original.Width != mask.Width || original.Height != mask.Height)
        {
            throw new ArgumentException($"The image is {original.Width}×{original.Height} but the mask is {mask.Width}×{mask.Height}.", nameof(mask));
        }

        var width = mask.Width;
        using var buffer = new MemoryStream();
        using var png = OverlayPng(buffer, width, mask.Height);
        var row = new byte[width * 3];
        for (var y = 0; y < mask.Height; y++)
        {
            original.Pixels.AsSpan(y * width * 3, width * 3).CopyTo(row);
            var labels = mask.Labels.AsSpan(y * width, width);
            var above = y == 0 ? default : mask.Labels.AsSpan((y - 1) * width, width);
            var below = y == mask.Height - 1 ? default : mask.Labels.AsSpan((y + 1) * width, width);
            DrawOverlayRow(row, above, labels, below, mask.Classes);
            png.WriteRow(row);
        }

        png.Finish();
        return buffer.ToArray();
    }

    /// <summary>
    /// Draws one row of the overlay onto <paramref name="rgb"/> (the original row, 8-bit RGB): outlines
    /// in full colour, the rest of each object at the fill opacity. <paramref name="above"/> and
    /// <paramref name="below"/> are the neighbouring mask rows, empty at the image's top and bottom,
    /// which count as edges.
    /// </summary>
    public void DrawOverlayRow(Span<byte> rgb, ReadOnlySpan<byte> above, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> below, int classes)
    {
        var width = labels.Length;
        ArgumentOutOfRangeException.ThrowIfNotEqual(rgb.Length, width * 3, nameof(rgb));
        var opacity = Overlay.FillOpacity;
        for (var x = 0; x < width; x++)
        {
            var label = labels[x];
            if (label == 0)
            {
                continue;
            }

            var outline = x == 0 || x == width - 1 || above.IsEmpty || below.IsEmpty
                || labels[x - 1] != label || labels[x + 1] != label
                || above[x] != label || below[x] != label;
            var (r, g, b) = ColorOf(classes == 1 ? 1 : label);
            var alpha = outline ? 1.0 : opacity;
            var p = x * 3;
            rgb[p] = Blend(rgb[p], r, alpha);
            rgb[p + 1] = Blend(rgb[p + 1], g, alpha);
            rgb[p + 2] = Blend(rgb[p + 2], b, alpha);
        }
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

    private static byte Blend(byte under, byte over, double alpha) => (byte)Math.Round((under * (1 - alpha)) + (over * alpha));
}
