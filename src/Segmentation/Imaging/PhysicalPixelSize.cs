using NetVips;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// The size of an image's pixel on the specimen, in micrometres, as its file says: what an output in a
/// format that can say it (TIFF, OME-TIFF) carries over, so a mask measures what its image measures.
/// </summary>
public sealed record PhysicalPixelSize(double XMicrometres, double YMicrometres)
{
    private const double MicrometresPerMillimetre = 1000;

    static PhysicalPixelSize() => VipsSettings.Apply();

    /// <summary>Pixels per millimetre across, as TIFF's resolution tags hold it (libvips' unit).</summary>
    public double XPixelsPerMillimetre => MicrometresPerMillimetre / XMicrometres;

    /// <summary>Pixels per millimetre down.</summary>
    public double YPixelsPerMillimetre => MicrometresPerMillimetre / YMicrometres;

    /// <summary>The pixel size of an encoded image, or null when its file does not say (a PNG, a TIFF without a resolution unit).</summary>
    public static PhysicalPixelSize? Of(byte[] image)
    {
        using var header = Image.NewFromBuffer(image, access: Enums.Access.Sequential);
        return Of(header);
    }

    /// <summary>As <see cref="Of(byte[])"/>, for an image in a seekable stream: only its header is read, and the stream is left at its start.</summary>
    public static PhysicalPixelSize? Of(Stream image)
    {
        using (var header = Image.NewFromStream(new GuardedSource(image), access: Enums.Access.Sequential))
        {
            image.Position = 0;
            return Of(header);
        }
    }

    private static PhysicalPixelSize? Of(Image header)
    {
        // libvips gives every image a resolution (1 pixel/mm where the file has none); only a TIFF
        // whose resolution tags name a unit says a size on the specimen. A JPEG's 72 dpi does not.
        var tiff = header.Contains("vips-loader") && header.Get("vips-loader") is string loader && loader.StartsWith("tiffload", StringComparison.Ordinal);
        if (!tiff || !header.Contains("resolution-unit") || header.Xres <= 0 || header.Yres <= 0)
        {
            return null;
        }

        return new PhysicalPixelSize(MicrometresPerMillimetre / header.Xres, MicrometresPerMillimetre / header.Yres);
    }
}
