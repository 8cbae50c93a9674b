using System.Globalization;
using System.Xml.Linq;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>
/// The OME-XML an OME-TIFF mask or probability map carries in its first IFD's ImageDescription: one
/// image of one channel, one plane (IFD 0; the pyramid's levels are its SubIFDs, as OME-TIFF 6 stores
/// them), and the input's physical pixel size when it has one.
/// </summary>
public static class OmeTiffMetadata
{
    private static readonly XNamespace Ome = "http://www.openmicroscopy.org/Schemas/OME/2016-06";
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <param name="channel">The channel's name: what the samples are (<c>mask</c>, <c>probability</c>).</param>
    /// <param name="width">The full-resolution width.</param>
    /// <param name="height">The full-resolution height.</param>
    /// <param name="type">The OME pixel type: <c>uint8</c>, <c>uint16</c> or <c>uint32</c> (<see cref="TypeOf"/>).</param>
    /// <param name="pixelSize">The input's pixel size, or null when it has none.</param>
    public static string Describe(string channel, int width, int height, string type, PhysicalPixelSize? pixelSize)
    {
        var pixels = new XElement(Ome + "Pixels",
            new XAttribute("ID", "Pixels:0"),
            new XAttribute("DimensionOrder", "XYCZT"),
            new XAttribute("Type", type),
            new XAttribute("SizeX", width),
            new XAttribute("SizeY", height),
            new XAttribute("SizeC", 1),
            new XAttribute("SizeZ", 1),
            new XAttribute("SizeT", 1));
        if (pixelSize is not null)
        {
            pixels.Add(
                new XAttribute("PhysicalSizeX", Number(pixelSize.XMicrometres)),
                new XAttribute("PhysicalSizeXUnit", "µm"),
                new XAttribute("PhysicalSizeY", Number(pixelSize.YMicrometres)),
                new XAttribute("PhysicalSizeYUnit", "µm"));
        }

        pixels.Add(
            new XElement(Ome + "Channel", new XAttribute("ID", "Channel:0:0"), new XAttribute("Name", channel), new XAttribute("SamplesPerPixel", 1)),
            new XElement(Ome + "TiffData", new XAttribute("IFD", 0), new XAttribute("PlaneCount", 1)));
        var ome = new XElement(Ome + "OME",
            new XAttribute(XNamespace.Xmlns + "xsi", Xsi),
            new XAttribute(Xsi + "schemaLocation", $"{Ome.NamespaceName} {Ome.NamespaceName}/ome.xsd"),
            new XAttribute("Creator", "UNetPP.Cluster"),
            new XElement(Ome + "Image", new XAttribute("ID", "Image:0"), new XAttribute("Name", channel), pixels));
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + ome.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>The OME pixel type of a libvips sample format this project writes.</summary>
    public static string TypeOf(NetVips.Enums.BandFormat format) => format switch
    {
        NetVips.Enums.BandFormat.Uchar => "uint8",
        NetVips.Enums.BandFormat.Ushort => "uint16",
        NetVips.Enums.BandFormat.Uint => "uint32",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Masks, probabilities and labels are unsigned 8-, 16- or 32-bit."),
    };

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
