using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

public sealed class OmeImageTests
{
    private const string Namespace = "http://www.openmicroscopy.org/Schemas/OME/2016-06";

    [Fact]
    public void APlainDescriptionIsNotOme()
    {
        Assert.Null(OmeImage.Parse(null));
        Assert.Null(OmeImage.Parse("ImageJ=1.54f\nimages=3\n"));
    }

    [Fact]
    public void ChannelsPlanesAndPixelSizeAreRead()
    {
        var ome = OmeImage.Parse(Ome(
            """DimensionOrder="XYCZT" SizeC="4" SizeZ="2" SizeT="1" PhysicalSizeX="0.325" PhysicalSizeY="325" PhysicalSizeYUnit="nm" """,
            """<Channel Name="DAPI" SamplesPerPixel="1"/><Channel Name="GFP"/><Channel Name="RFP"/><Channel/><TiffData IFD="0" PlaneCount="8"/>"""))!;

        Assert.Equal(4, ome.ChannelPages);
        Assert.Equal(2, ome.SizeZ);
        Assert.Equal(["DAPI", "GFP", "RFP", null], ome.ChannelNames);
        Assert.Equal(0.325, ome.PhysicalSizeX);
        Assert.Equal(0.325, ome.PhysicalSizeY!.Value, 12);

        // XYCZT: channels run fastest, then Z.
        Assert.Equal(0, ome.PageOf(0, 0, 0));
        Assert.Equal(3, ome.PageOf(3, 0, 0));
        Assert.Equal(4, ome.PageOf(0, 1, 0));
        Assert.Equal(7, ome.PageOf(3, 1, 0));
    }

    [Fact]
    public void TheDimensionOrderDecidesWhichPageIsWhichPlane()
    {
        var ome = OmeImage.Parse(Ome("""DimensionOrder="XYZTC" SizeC="2" SizeZ="3" SizeT="2" """, ""))!;

        // Z fastest, then T, then C.
        Assert.Equal(1, ome.PageOf(0, 1, 0));
        Assert.Equal(3, ome.PageOf(0, 0, 1));
        Assert.Equal(6, ome.PageOf(1, 0, 0));
        Assert.Equal(11, ome.PageOf(1, 2, 1));
    }

    [Fact]
    public void InterleavedRgbIsOneChannelPage()
    {
        var ome = OmeImage.Parse(Ome("""DimensionOrder="XYCZT" SizeC="3" SizeT="5" """, """<Channel Name="brightfield" SamplesPerPixel="3"/>"""))!;

        Assert.Equal(1, ome.ChannelPages);
        Assert.Equal(3, ome.SamplesPerPixel);
        Assert.Equal(["brightfield"], ome.ChannelNames);
        Assert.Equal(4, ome.PageOf(0, 0, 4));
    }

    [Fact]
    public void TiffDataElementsMapPlanesToTheirPages()
    {
        // Planes stored in reverse time order, one TiffData each.
        var ome = OmeImage.Parse(Ome(
            """DimensionOrder="XYCZT" SizeT="3" """,
            """<TiffData IFD="2" FirstT="0" PlaneCount="1"/><TiffData IFD="1" FirstT="1" PlaneCount="1"/><TiffData IFD="0" FirstT="2" PlaneCount="1"/>"""))!;

        Assert.Equal(2, ome.PageOf(0, 0, 0));
        Assert.Equal(1, ome.PageOf(0, 0, 1));
        Assert.Equal(0, ome.PageOf(0, 0, 2));
    }

    [Fact]
    public void APlaneNoTiffDataNamesHasNoPage()
    {
        var ome = OmeImage.Parse(Ome("""DimensionOrder="XYCZT" SizeZ="3" """, """<TiffData IFD="0" FirstZ="1" PlaneCount="1"/>"""))!;

        Assert.Equal(0, ome.PageOf(0, 1, 0));
        Assert.Null(ome.PageOf(0, 0, 0));
    }

    [Theory]
    [InlineData("""DimensionOrder="XYQZT" """, "DimensionOrder")]
    [InlineData("""SizeC="3" SizeZ="0" """, "SizeZ")]
    [InlineData("""SizeC="4" """, "SizeC 4")]
    public void PixelsThatMakeNoSenseAreNamed(string attributes, string named)
    {
        var error = Assert.Throws<FormatException>(() => OmeImage.Parse(Ome(attributes, """<Channel SamplesPerPixel="3"/>""")));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BrokenXmlIsSaidToBeBroken()
    {
        var error = Assert.Throws<FormatException>(() => OmeImage.Parse("<OME><Image><Pixels"));

        Assert.Contains("does not parse", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADocumentTypeIsRefused()
    {
        // An entity that would read a local file must never be expanded.
        const string xml = """<?xml version="1.0"?><!DOCTYPE OME [<!ENTITY x SYSTEM "file:///etc/passwd">]><OME><Image><Pixels SizeC="1"><Channel Name="&x;"/></Pixels></Image></OME>""";

        Assert.Throws<FormatException>(() => OmeImage.Parse(xml));
    }

    private static string Ome(string pixelAttributes, string pixelContent) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><OME xmlns="{Namespace}"><Image ID="Image:0"><Pixels ID="Pixels:0" Type="uint16" SizeX="80" SizeY="64" {pixelAttributes}>{pixelContent}</Pixels></Image></OME>""";
}
