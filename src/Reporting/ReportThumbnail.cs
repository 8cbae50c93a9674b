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

    /// <summary>A mask holding only 0 and 255 is a one-output model's; any other holds class indices.</summary>
    private static SegmentationMask MaskOf(Gray8Image labels)
    {
        var pixels = labels.Pixels;
        var binary = !pixels.AsSpan().ContainsAnyExcept((byte)0, SegmentationMask.BinaryForeground);
        return new SegmentationMask(labels.Width, labels.Height, binary ? 1 : pixels.Max() + 1, pixels);
    }
}
