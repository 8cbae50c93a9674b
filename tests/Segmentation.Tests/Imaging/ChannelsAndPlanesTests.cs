using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

/// <summary>
/// <c>--channels</c> and planes at the decoder: channels picked by number or OME name, one channel
/// replicated for a three-channel model, each plane of a multi-page TIFF or an OME-TIFF read as an image
/// of its own, and one clear line for a channel or plane the file does not have.
/// </summary>
public sealed class ChannelsAndPlanesTests
{
    private const int Width = 6, Height = 5;
    private static readonly string[] Stains = ["DAPI", "GFP", "RFP", "Cy5"];
    private static readonly InputSpec Gray = new(1, AllowColorToGray: false, new InputNormalization([0f], [1f]));
    private static readonly InputSpec Rgb = new(3, AllowColorToGray: false, new InputNormalization([0f, 0f, 0f], [1f, 1f, 1f]));

    private readonly ImageDecoder decoder = new(new ImageDecoderOptions());

    [Fact]
    public void ChannelsByNumberAreTakenInTheOrderGiven()
    {
        var samples = TestImages.Ramp(Width * Height * 5);
        var tiff = TestImages.Tiff(samples, Width, Height, 5);

        var tensor = decoder.Decode("m.tif", tiff, Rgb with { Choice = ChannelChoice.Parse("2,0,4") });

        Assert.Equal(Band(samples, 5, 2), Plane(tensor, 0));
        Assert.Equal(Band(samples, 5, 0), Plane(tensor, 1));
        Assert.Equal(Band(samples, 5, 4), Plane(tensor, 2));
    }

    [Fact]
    public void OneChosenChannelIsReplicatedForAThreeChannelModel()
    {
        var samples = TestImages.Ramp(Width * Height * 5);
        var tiff = TestImages.Tiff(samples, Width, Height, 5);

        var tensor = decoder.Decode("m.tif", tiff, Rgb with { Choice = ChannelChoice.Parse("3") });

        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(Band(samples, 5, 3), Plane(tensor, c)));
    }

    [Fact]
    public void AChannelOfAnRgbPngCanBeChosenForAGrayModel()
    {
        var samples = TestImages.Ramp(Width * Height * 3);

        var tensor = decoder.Decode("c.png", TestImages.Png(samples, Width, Height, 3), Gray with { Choice = ChannelChoice.Parse("1") });

        Assert.Equal(Band(samples, 3, 1), Plane(tensor, 0));
    }

    [Fact]
    public void OmeChannelsAreChosenByNameFromTheirPagesInEachPlane()
    {
        // XYCZT, two focal planes: pages 0–3 are z0's DAPI…Cy5, pages 4–7 z1's.
        var pages = Enumerable.Range(0, 8).Select(p => PlaneTiffs.Samples(Width, Height, p)).ToList();
        var ome = PlaneTiffs.Pages(pages, Width, Height, PlaneTiffs.OmeXml(Width, Height, Stains, sizeZ: 2));

        Assert.Equal(["z0", "z1"], ImageDecoder.ReadPlanes("x.ome.tif", new MemoryStream(ome)));
        var dapi = decoder.Decode("x.ome.tif#z1", ome, Rgb with { Choice = ChannelChoice.Parse("DAPI") });
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(Unit(pages[4]), Plane(dapi, c)));

        var two = decoder.Decode("x.ome.tif#z0", ome, new InputSpec(2, false, new InputNormalization([0f, 0f], [1f, 1f])) { Choice = ChannelChoice.Parse("Cy5,gfp") });
        Assert.Equal(Unit(pages[3]), Plane(two, 0));
        Assert.Equal(Unit(pages[1]), Plane(two, 1));
    }

    [Fact]
    public void TheDimensionOrderDecidesWhichPageIsWhichChannelAndPlane()
    {
        // XYZCT: Z runs fastest, so z1 of channel GFP is page 3.
        var pages = Enumerable.Range(0, 4).Select(p => PlaneTiffs.Samples(Width, Height, p)).ToList();
        var ome = PlaneTiffs.Pages(pages, Width, Height, PlaneTiffs.OmeXml(Width, Height, ["DAPI", "GFP"], sizeZ: 2, order: "XYZCT"));

        var gfp = decoder.Decode("x.ome.tif#z1", ome, Gray with { Choice = ChannelChoice.Parse("GFP") });

        Assert.Equal(Unit(pages[3]), Plane(gfp, 0));
    }

    [Fact]
    public void StreamedRowsOfAnOmePlaneEqualItsWholeDecode()
    {
        var pages = Enumerable.Range(0, 8).Select(p => PlaneTiffs.Samples(Width, Height, p)).ToList();
        var ome = PlaneTiffs.Pages(pages, Width, Height, PlaneTiffs.OmeXml(Width, Height, Stains, sizeZ: 2));
        var spec = Rgb with { Choice = ChannelChoice.Parse("RFP,DAPI,GFP") };
        var whole = decoder.Decode("x.ome.tif#z1", ome, spec);

        using var streamed = decoder.Open("x.ome.tif#z1", new MemoryStream(ome), spec.Choice);
        var rows = new ImageTensor(3, Height, Width, new float[3 * Height * Width]);
        streamed.ReadTensorRows(spec, 0, Height, rows, 0);

        Assert.Equal(whole.Data, rows.Data);
        Assert.Equal(Unit(pages[6]), Plane(whole, 0));
    }

    [Fact]
    public void WithoutChannelsAnOmeFileWithMoreChannelsThanTheModelIsRefusedNamingThem()
    {
        var pages = Enumerable.Range(0, 4).Select(p => PlaneTiffs.Samples(Width, Height, p)).ToList();
        var ome = PlaneTiffs.Pages(pages, Width, Height, PlaneTiffs.OmeXml(Width, Height, Stains));

        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode("x.ome.tif", ome, Rgb));

        Assert.Equal("x.ome.tif: 4 channels, but the model takes 3; choose 3 of them with --channels (its channels are 0 DAPI, 1 GFP, 2 RFP, 3 Cy5)", e.Message);
    }

    [Fact]
    public void AChannelTheFileLacksIsOneLineNamingTheFileTheChannelAndThoseItHas()
    {
        var ome = PlaneTiffs.Pages([.. Enumerable.Range(0, 4).Select(p => PlaneTiffs.Samples(Width, Height, p))], Width, Height, PlaneTiffs.OmeXml(Width, Height, Stains));
        var fiveBands = TestImages.Tiff(new byte[Width * Height * 5], Width, Height, 5);

        var byName = Assert.Throws<ImageRejectedException>(() => decoder.Decode("x.ome.tif", ome, Gray with { Choice = ChannelChoice.Parse("YFP") }));
        var byNumber = Assert.Throws<ImageRejectedException>(() => decoder.Decode("m.tif", fiveBands, Gray with { Choice = ChannelChoice.Parse("0,7") }));
        var tooFew = Assert.Throws<ImageRejectedException>(() => decoder.Decode("m.tif", fiveBands, Rgb with { Choice = ChannelChoice.Parse("0,1") }));

        Assert.Equal("x.ome.tif: it has no channel YFP (--channels YFP); its channels are 0 DAPI, 1 GFP, 2 RFP, 3 Cy5", byName.Message);
        Assert.Equal("m.tif: it has no channel 7 (--channels 0,7); its channels are 0–4", byNumber.Message);
        Assert.Equal("m.tif: --channels 0,1 gives 2 channels, but the model takes 3", tooFew.Message);
    }

    [Fact]
    public void EveryFullSizePageOfAPlainTiffIsAPlaneAndReducedLevelsAreNot()
    {
        var pages = Enumerable.Range(0, 3).Select(p => PlaneTiffs.Samples(Width, Height, p)).ToList();
        var stack = PlaneTiffs.Pages(pages, Width, Height);

        Assert.Equal(["p0", "p1", "p2"], ImageDecoder.ReadPlanes("s.tif", new MemoryStream(stack)));
        Assert.Equal(Unit(pages[2]), Plane(decoder.Decode("s.tif#p2", stack, Gray), 0));
        Assert.Equal(Unit(pages[0]), Plane(decoder.Decode("s.tif", stack, Gray), 0));

        // A pyramid saved as pages: a full-size page, then its half and quarter.
        using var full = Image.NewFromMemory(PlaneTiffs.Samples(64, 48, 1), 64, 48, 1, Enums.BandFormat.Uchar);
        var pyramid = full.TiffsaveBuffer(tile: true, tileWidth: 16, tileHeight: 16, pyramid: true);
        Assert.Empty(ImageDecoder.ReadPlanes("pyramid.tif", new MemoryStream(pyramid)));
        Assert.Empty(ImageDecoder.ReadPlanes("one.png", new MemoryStream(TestImages.Png(new byte[Width * Height], Width, Height, 1))));
    }

    [Fact]
    public void APlaneTheFileLacksIsRefused()
    {
        var stack = PlaneTiffs.Pages([.. Enumerable.Range(0, 2).Select(p => PlaneTiffs.Samples(Width, Height, p))], Width, Height);
        var ome = PlaneTiffs.Pages([.. Enumerable.Range(0, 4).Select(p => PlaneTiffs.Samples(Width, Height, p))], Width, Height, PlaneTiffs.OmeXml(Width, Height, ["DAPI", "GFP"], sizeZ: 2));

        Assert.Equal("s.tif#p5: it has no plane p5: it has 2 page(s)", Assert.Throws<ImageRejectedException>(() => decoder.Decode("s.tif#p5", stack, Gray)).Message);
        Assert.Equal("x.ome.tif#z2: it has no plane z2: its OME-XML gives SizeZ 2 and SizeT 1", Assert.Throws<ImageRejectedException>(() => decoder.Decode("x.ome.tif#z2", ome, Gray)).Message);
    }

    [Fact]
    public void PlanesWithZAndTAreNamedByBoth()
    {
        var ome = PlaneTiffs.Pages([.. Enumerable.Range(0, 4).Select(p => PlaneTiffs.Samples(Width, Height, p))], Width, Height, PlaneTiffs.OmeXml(Width, Height, ["DAPI"], sizeZ: 2, sizeT: 2));

        Assert.Equal(["z0.t0", "z1.t0", "z0.t1", "z1.t1"], ImageDecoder.ReadPlanes("x.ome.tif", new MemoryStream(ome)));
        Assert.Equal(Unit(PlaneTiffs.Samples(Width, Height, 2)), Plane(decoder.Decode("x.ome.tif#z0.t1", ome, Gray), 0));
    }

    private static float[] Plane(ImageTensor tensor, int channel) =>
        tensor.Data.AsSpan(channel * tensor.Height * tensor.Width, tensor.Height * tensor.Width).ToArray();

    private static float[] Band(byte[] interleaved, int bands, int band) =>
        [.. interleaved.Where((_, i) => i % bands == band).Select(b => b / 255f)];

    private static float[] Unit(byte[] samples) => [.. samples.Select(b => b / 255f)];
}
