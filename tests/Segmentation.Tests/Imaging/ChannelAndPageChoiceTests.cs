using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

/// <summary>The words of <c>--channels</c> and <c>--pages</c>, and the names of planes.</summary>
public sealed class ChannelAndPageChoiceTests
{
    [Theory]
    [InlineData("")]
    [InlineData("0,,1")]
    [InlineData("DAPI,")]
    public void AnEmptyChannelIsRefusedNamingTheOption(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ChannelChoice.Parse(text));
        Assert.Equal($"--channels {text}: {ChannelChoice.Usage}.", e.Message);
    }

    [Fact]
    public void ANumberMeansAChannelNumberAndANameMatchesWhateverItsCaseWhenOnlyOneDoes()
    {
        var names = new string?[] { "DAPI", "5", "gfp", "GFP" };

        Assert.Equal([1, 0], ChannelChoice.Parse("1, dapi").Resolve("x", names));
        Assert.Equal([2], ChannelChoice.Parse("gfp").Resolve("x", names));
        Assert.Throws<ImageRejectedException>(() => ChannelChoice.Parse("Gfp").Resolve("x", names));
        Assert.Equal("2,0", ChannelChoice.Parse(" 2 , 0 ").ToString());
    }

    [Theory]
    [InlineData("all", new[] { "p0", "p1", "p2", "p3" })]
    [InlineData("FIRST", new[] { "p0" })]
    [InlineData("0,2-3", new[] { "p0", "p2", "p3" })]
    [InlineData("3,1", new[] { "p1", "p3" })]
    public void PagesChooseByThePlaneNumber(string text, string[] expected) =>
        Assert.Equal(expected, PageChoice.Parse(text).Select("s.tif", ["p0", "p1", "p2", "p3"]));

    [Fact]
    public void WithZAndTPlanesAreCountedZFirst()
    {
        IReadOnlyList<string> planes = ["z0.t0", "z1.t0", "z0.t1", "z1.t1"];
        Assert.Equal(["z1.t0", "z0.t1"], PageChoice.Parse("1-2").Select("x", planes));

        // Page numbers of a plain TIFF are its pages', a thumbnail between them left out.
        Assert.Equal(["p2"], PageChoice.Parse("1-2").Select("s.tif", ["p0", "p2"]));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("3-1")]
    [InlineData("1,,2")]
    [InlineData("-2")]
    public void BadPagesAreRefusedNamingTheOption(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => PageChoice.Parse(text));
        Assert.Equal($"--pages {text}: {PageChoice.Usage}.", e.Message);
    }

    [Fact]
    public void PagesThatChooseNoPlaneOfAFileSaySoNamingIt()
    {
        var e = Assert.Throws<ImageRejectedException>(() => PageChoice.Parse("4-6").Select("s.tif", ["p0", "p1", "p2"]));
        Assert.Equal("s.tif: --pages 4-6 chooses none of its 3 planes (p0 to p2)", e.Message);
    }

    [Fact]
    public void APlaneNameCarriesItsFileAndItsOutputsGoByStemAndPlane()
    {
        var plane = ImagePlane.Parse("plate/x.ome.tif#z3.t1")!;

        Assert.Equal(new ImagePlane("plate/x.ome.tif", "z3.t1"), plane);
        Assert.Equal((3, 1, (int?)null), (plane.Z, plane.T, plane.Page));
        Assert.Equal("plate/x.ome.tif#z3.t1", plane.ToString());
        Assert.Equal("plate/x.z3.t1.tif", ImagePlane.OutputNameOf("plate/x.ome.tif#z3.t1"));
        Assert.Equal("plate/x.ome.tif", ImagePlane.FileOf("plate/x.ome.tif#z3.t1"));
        Assert.Equal("a#b.png", ImagePlane.FileOf("a#b.png"));
        Assert.Null(ImagePlane.Parse("x.tif#q1"));
        Assert.Null(ImagePlane.Parse("x.tif"));
    }
}
