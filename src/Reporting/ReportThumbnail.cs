using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Reporting;

/// <summary>
/// The small picture a job's report shows for one image: the image scaled down to at most
/// <see cref="LongestSide"/> pixels on its longest side, with its mask drawn over it in the class
/// colours of the overlays. Both are reduced as they are decoded, so a very large image costs
/// the memory of the thumbnail, not its own.
/// </summary>
/// <param name="channels">The channels the job chose (<c>--channels</c>), shown as the overlays show them; null for the images' own.</param>
public sealed class ReportThumbnail(ImageDecoder decoder, ChannelChoice? channels = null)
{
    public const int LongestSide = 192;

    // A stronger fill than the overlay files': at this scale the outlines of small objects merge.
    private static readonly MaskWriter Overlay = new(new OverlayOptions { FillOpacity = 0.45 });

    /// <summary>The thumbnail as PNG.</summary>
    /// <param name="name">The image's name, for errors.</param>
    /// <param name="image">The encoded input image, seekable: it is read as it is reduced, never whole.</param>
    /// <param name="maskName">The mask's name, for errors.</param>
    /// <param name="maskPng">The mask the job wrote, seekable: 0/255 for a one-output model, class indices otherwise.</param>
    /// <exception cref="ImageRejectedException">Either cannot be decoded, or they differ in size.</exception>
    public byte[] Make(string name, Stream image, string maskName, Stream maskPng)
    {
        var imageInfo = ImageDecoder.ReadInfo(name, image);
        var maskInfo = ImageDecoder.ReadInfo(maskName, maskPng);
        if ((imageInfo.Width, imageInfo.Height) != (maskInfo.Width, maskInfo.Height))
        {
            throw new ImageRejectedException(maskName, $"the mask is {maskInfo.Width}×{maskInfo.Height} but its image is {imageInfo.Width}×{imageInfo.Height}");
        }

        var preview = decoder.DecodePreviewThumbnail(name, image, LongestSide, channels);
        var labels = decoder.DecodeGray8Thumbnail(maskName, maskPng, preview.Width, preview.Height);
        return Overlay.EncodeOverlayPng(preview, MaskOf(labels));
    }

    /// <summary>
    /// The thumbnail with each object of an instance label image in a colour of its own (by its id, so an
    /// object keeps its colour from run to run): filled faintly, outlined where it meets another object or
    /// the background, so touching nuclei show apart.
    /// </summary>
    /// <param name="labelsName">The label image's name, for errors.</param>
    /// <param name="labels">The label image the job wrote, seekable.</param>
    /// <exception cref="ImageRejectedException">Either cannot be decoded, or they differ in size.</exception>
    public byte[] MakeWithObjects(string name, Stream image, string labelsName, Stream labels)
    {
        var imageInfo = ImageDecoder.ReadInfo(name, image);
        var labelsInfo = ImageDecoder.ReadInfo(labelsName, labels);
        if ((imageInfo.Width, imageInfo.Height) != (labelsInfo.Width, labelsInfo.Height))
        {
            throw new ImageRejectedException(labelsName, $"the label image is {labelsInfo.Width}×{labelsInfo.Height} but its image is {imageInfo.Width}×{imageInfo.Height}");
        }

        var preview = decoder.DecodePreviewThumbnail(name, image, LongestSide, channels);
        var ids = decoder.DecodeLabelsThumbnail(labelsName, labels, preview.Width, preview.Height);
        var (width, height, rgb) = (preview.Width, preview.Height, preview.Pixels);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var id = ids[(y * width) + x];
                if (id == 0)
                {
                    continue;
                }

                var edge = x == 0 || y == 0 || x == width - 1 || y == height - 1
                    || ids[(y * width) + x - 1] != id || ids[(y * width) + x + 1] != id || ids[((y - 1) * width) + x] != id || ids[((y + 1) * width) + x] != id;
                var colour = ColourOf(id);
                var weight = edge ? 1.0 : ObjectFill;
                for (var c = 0; c < 3; c++)
                {
                    var i = (((y * width) + x) * 3) + c;
                    rgb[i] = (byte)Math.Round((rgb[i] * (1 - weight)) + (colour[c] * weight));
                }
            }
        }

        using var png = new MemoryStream();
        using (var writer = MaskWriter.OverlayPng(png, width, height))
        {
            for (var y = 0; y < height; y++)
            {
                writer.WriteRow(rgb.AsSpan(y * width * 3, width * 3));
            }

            writer.Finish();
        }

        return png.ToArray();
    }

    /// <summary>How strongly an object's colour covers its inside: enough to tell neighbours apart, the nucleus still seen.</summary>
    private const double ObjectFill = 0.45;

    /// <summary>A bright colour for an id: hues a golden angle apart, so neighbouring ids never look alike.</summary>
    private static byte[] ColourOf(int id)
    {
        var hue = (id * 137.508) % 360 / 60;
        var x = 1 - Math.Abs((hue % 2) - 1);
        (double R, double G, double B) rgb = (int)hue switch
        {
            0 => (1, x, 0),
            1 => (x, 1, 0),
            2 => (0, 1, x),
            3 => (0, x, 1),
            4 => (x, 0, 1),
            _ => (1, 0, x),
        };
        var (r, g, b) = rgb;
        return [(byte)(55 + (200 * r)), (byte)(55 + (200 * g)), (byte)(55 + (200 * b))];
    }

    /// <summary>A mask holding only 0 and 255 is a one-output model's; any other holds class indices.</summary>
    private static SegmentationMask MaskOf(Gray8Image labels)
    {
        var pixels = labels.Pixels;
        var binary = !pixels.AsSpan().ContainsAnyExcept((byte)0, SegmentationMask.BinaryForeground);
        return new SegmentationMask(labels.Width, labels.Height, binary ? 1 : pixels.Max() + 1, pixels);
    }
}
