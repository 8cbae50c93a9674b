using System.Globalization;
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

    /// <summary>
    /// The pixel size of an encoded image: an OME-TIFF's PhysicalSizeX and PhysicalSizeY, else a TIFF's
    /// resolution tags; null when its file does not say (a PNG, a TIFF without a resolution unit).
    /// </summary>
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
        // libvips gives every image a resolution (1 pixel/mm where the file has none); only a TIFF says a
        // size on the specimen: in its OME-XML, or in resolution tags that name a unit. A JPEG's 72 dpi does not.
        var tiff = header.Contains("vips-loader") && header.Get("vips-loader") is string loader && loader.StartsWith("tiffload", StringComparison.Ordinal);
        if (!tiff)
        {
            return null;
        }

        if (Ome(header) is { PhysicalSizeX: { } x, PhysicalSizeY: { } y })
        {
            return new PhysicalPixelSize(x, y);
        }

        return header.Contains("resolution-unit") && header.Xres > 0 && header.Yres > 0
            ? new PhysicalPixelSize(FromTag(header.Xres), FromTag(header.Yres))
            : null;
    }

    /// <summary>
    /// Micrometres from pixels per millimetre as a TIFF tag stores them, to the seven digits its float holds:
    /// 0.325 µm written as 30,769.23 pixels/cm reads back as 0.325, not 0.3249999980.
    /// </summary>
    private static double FromTag(double pixelsPerMillimetre) =>
        double.Parse((MicrometresPerMillimetre / pixelsPerMillimetre).ToString("G7", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>The file's OME-XML; null where it has none, or none that can be read (its tags may still say the size).</summary>
    private static OmeImage? Ome(Image header)
    {
        try
        {
            return header.Contains("image-description") ? OmeImage.Parse(header.Get("image-description") as string) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
