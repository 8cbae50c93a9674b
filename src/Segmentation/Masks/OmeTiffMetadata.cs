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
    /// <param name="sixteenBit">uint16 samples rather than uint8.</param>
    /// <param name="pixelSize">The input's pixel size, or null when it has none.</param>
    public static string Describe(string channel, int width, int height, bool sixteenBit, PhysicalPixelSize? pixelSize)
    {
        var pixels = new XElement(Ome + "Pixels",
            new XAttribute("ID", "Pixels:0"),
            new XAttribute("DimensionOrder", "XYCZT"),
            new XAttribute("Type", sixteenBit ? "uint16" : "uint8"),
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

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
