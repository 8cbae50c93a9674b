using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// <c>unetpp segment</c> on a lab's multi-channel, multi-plane files: every plane its own image with
/// its own mask and report line, channels chosen by number or OME name, each plane's outputs exactly
/// those of that plane alone, and a resumed job skipping the planes already done.
/// </summary>
public sealed class ChannelsAndPagesCommandTests : IDisposable
{
    private const int Width = 120, Height = 110;
    private static readonly string[] Stains = ["DAPI", "GFP", "RFP", "Cy5"];

    private readonly TempFolder _temp = new();
    private readonly string _model;

    public ChannelsAndPagesCommandTests() => _model = TestModels.WriteSmall(_temp.File("small.onnx"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task EveryPageOfAMultiPageTiffGetsItsOwnMaskAndReportLine()
    {
        var pages = Enumerable.Range(0, 3).Select(Discs).ToList();
        var input = Folder("stack", ("x.tif", PlaneTiffs.Pages(pages, Width, Height)));
        var alone = Folder("alone", [.. pages.Select((page, k) => ($"x.p{k}.png", Png(page)))]);

        var result = await SegmentAsync(input, "out", "--probabilities");
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(alone, "alone-out", "--probabilities")).ExitCode);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var report = await ReportAsync("out");
        Assert.Equal(new ReportCounts(3, 3, 0), report.Counts);
        Assert.Equal(["x.tif#p0", "x.tif#p1", "x.tif#p2"], report.Images.Select(i => i.Name));
        Assert.Equal(["masks/x.p0.png", "masks/x.p1.png", "masks/x.p2.png"], report.Images.Select(i => i.Mask));
        foreach (var k in Enumerable.Range(0, 3))
        {
            Assert.Equal(await Mask("alone-out", $"x.p{k}"), await Mask("out", $"x.p{k}"));
            Assert.Equal(await Output("alone-out", "probabilities", $"x.p{k}"), await Output("out", "probabilities", $"x.p{k}"));
        }

        Assert.NotEqual(await Output("out", "probabilities", "x.p0"), await Output("out", "probabilities", "x.p1"));
        Assert.Contains("Done: 3 of 3", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PagesFirstOrAListGivesOnlyThosePlanes()
    {
        var input = Folder("stack", ("x.tif", PlaneTiffs.Pages([.. Enumerable.Range(0, 3).Select(Discs)], Width, Height)));

        Assert.Equal(ExitCodes.Success, (await SegmentAsync(input, "first", "--pages", "first")).ExitCode);
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(input, "list", "--pages", "1-2")).ExitCode);

        Assert.Equal(["x.p0.png"], MaskFiles("first"));
        Assert.Equal(new ReportCounts(1, 1, 0), (await ReportAsync("first")).Counts);
        Assert.Equal(["x.p1.png", "x.p2.png"], MaskFiles("list"));
    }

    [Fact]
    public async Task AnOmeChannelChosenByNameGivesEachFocalPlaneTheMasksOfThatChannelAlone()
    {
        // XYCZT: z0's DAPI, GFP, RFP, Cy5, then z1's.
        var pages = Enumerable.Range(0, 8).Select(Discs).ToList();
        var input = Folder("ome", ("x.ome.tif", PlaneTiffs.Pages(pages, Width, Height, PlaneTiffs.OmeXml(Width, Height, Stains, sizeZ: 2))));
        var alone = Folder("dapi", ("x.z0.png", Png(pages[0])), ("x.z1.png", Png(pages[4])));

        // Ground truth of a plane goes by its stem and plane.
        var labels = Folder("labels", ("x.z0_mask.png", Png(Threshold(pages[0]))), ("x.z1_mask.png", Png(Threshold(pages[4]))));
        var result = await SegmentAsync(input, "out", "--channels", "DAPI", "--labels", labels, "--overlays", "--probabilities");
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(alone, "alone-out", "--labels", labels, "--overlays", "--probabilities")).ExitCode);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var report = await ReportAsync("out");
        Assert.Equal(["x.ome.tif#z0", "x.ome.tif#z1"], report.Images.Select(i => i.Name));
        Assert.All(report.Images, image => Assert.NotNull(image.Classes[0].IoU));
        var aloneReport = await ReportAsync("alone-out");
        Assert.Equal(aloneReport.Images.Select(i => i.Classes[0].IoU), report.Images.Select(i => i.Classes[0].IoU));
        foreach (var z in new[] { "z0", "z1" })
        {
            Assert.Equal(await Mask("alone-out", $"x.{z}"), await Mask("out", $"x.{z}"));
            Assert.Equal(await Output("alone-out", "probabilities", $"x.{z}"), await Output("out", "probabilities", $"x.{z}"));

            // The overlay shows what the model saw: the DAPI channel, not the file's first three.
            Assert.Equal(await Output("alone-out", "overlays", $"x.{z}"), await Output("out", "overlays", $"x.{z}"));
        }

        Assert.NotEqual(await Output("out", "probabilities", "x.z0"), await Output("out", "probabilities", "x.z1"));
    }

    [Fact]
    public async Task ALargePlaneCutIntoBandsGetsTheFilesOfItUncut()
    {
        var pages = Enumerable.Range(0, 8).Select(Discs).ToList();
        var input = Folder("ome", ("x.ome.tif", PlaneTiffs.Pages(pages, Width, Height, PlaneTiffs.OmeXml(Width, Height, Stains, sizeZ: 2))));
        string[] options = ["--channels", "RFP,DAPI,GFP", "--probabilities", "--overlays"];

        Assert.Equal(ExitCodes.Success, (await SegmentAsync(input, "uncut", options)).ExitCode);
        var cut = await SegmentAsync(input, "cut", [.. options, "--region-pixels", "5000", "--region-size", "48"]);

        Assert.Equal(ExitCodes.Success, cut.ExitCode);
        var (whole, banded) = (await ReportAsync("uncut"), await ReportAsync("cut"));
        Assert.All(whole.Images.Zip(banded.Images), pair => Assert.True(pair.Second.Tiles > pair.First.Tiles, "the cut run computes the tiles on its cuts twice"));
        foreach (var folder in new[] { "masks", "probabilities", "overlays" })
        {
            foreach (var z in new[] { "z0", "z1" })
            {
                Assert.Equal(await Output("uncut", folder, $"x.{z}"), await Output("cut", folder, $"x.{z}"));
            }
        }
    }

    [Fact]
    public async Task WithoutChannelsAFileWithMoreChannelsFailsSayingWhichToChooseAndWithThemItIsSegmented()
    {
        var bands = Enumerable.Range(0, 5).Select(Discs).ToList();
        var interleaved = new byte[Width * Height * 5];
        for (var i = 0; i < Width * Height; i++)
        {
            for (var b = 0; b < 5; b++)
            {
                interleaved[(i * 5) + b] = bands[b][i];
            }
        }

        using var fiveBands = Image.NewFromMemory(interleaved, Width, Height, 5, Enums.BandFormat.Uchar);
        var input = Folder("five", ("m.tif", fiveBands.TiffsaveBuffer()));
        var alone = Folder("band4", ("m.png", Png(bands[4])));

        var refused = await SegmentAsync(input, "refused");
        var chosen = await SegmentAsync(input, "chosen", "--channels", "4", "--probabilities");
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(alone, "alone-out", "--probabilities")).ExitCode);

        Assert.Equal(ExitCodes.ImagesFailed, refused.ExitCode);
        Assert.Equal("5 channels, but the model takes 3; choose 3 of them with --channels (its channels are 0–4)", (await ReportAsync("refused")).Failures.Single().Reason);
        Assert.Equal(ExitCodes.Success, chosen.ExitCode);
        Assert.Equal(await Output("alone-out", "probabilities", "m"), await Output("chosen", "probabilities", "m"));
    }

    [Fact]
    public async Task ResumeSkipsThePlanesAlreadyDoneAndRedoesTheOneMissing()
    {
        var input = Folder("stack", ("x.tif", PlaneTiffs.Pages([.. Enumerable.Range(0, 3).Select(Discs)], Width, Height)));
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(input, "out")).ExitCode);
        File.Delete(Path.Combine(_temp.File("out"), "masks", "x.p1.png"));

        var again = await SegmentAsync(input, "out", "--resume");

        Assert.Equal(ExitCodes.Success, again.ExitCode);
        var report = await ReportAsync("out");
        Assert.Equal(new ReportCounts(3, 3, 0, Skipped: 2), report.Counts);
        Assert.Equal(["x.tif#p0", "x.tif#p2"], report.Resume!.Skipped.Select(s => s.Name));
        Assert.Equal([("x.tif#p1", "masks/x.p1.png missing")], report.Resume.Redone.Select(r => (r.Name, r.Reason)));
        Assert.Equal(["x.p0.png", "x.p1.png", "x.p2.png"], MaskFiles("out"));
    }

    [Theory]
    [InlineData("--channels", "0,,1", "--channels 0,,1: give channel numbers from 0 or OME channel names")]
    [InlineData("--pages", "some", "--pages some: use all, first, or plane numbers from 0")]
    public async Task ABadChannelsOrPagesIsRefusedBeforeAnythingRuns(string option, string value, string message)
    {
        var input = Folder("stack", ("x.tif", PlaneTiffs.Pages([Discs(0)], Width, Height)));

        var result = await SegmentAsync(input, "out", option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.File("out")));
    }

    private Task<CliResult> SegmentAsync(string input, string output, params string[] more) =>
        CliRunner.RunAsync(["segment", input, "--out", _temp.File(output), "--model", _model, .. more]);

    private async Task<JobReport> ReportAsync(string output) =>
        JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(_temp.File(output), JobReport.FileName)));

    private Task<byte[]> Mask(string output, string stem) => Output(output, "masks", stem);

    private Task<byte[]> Output(string output, string folder, string stem) => File.ReadAllBytesAsync(Path.Combine(_temp.File(output), folder, stem + ".png"));

    private List<string> MaskFiles(string output) =>
        [.. Directory.EnumerateFiles(Path.Combine(_temp.File(output), "masks")).Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal)];

    private string Folder(string name, params (string File, byte[] Bytes)[] files)
    {
        var folder = Directory.CreateDirectory(_temp.File(name)).FullName;
        foreach (var (file, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(folder, file), bytes);
        }

        return folder;
    }

    /// <summary>A gray plane of bright discs on a ramp, placed by <paramref name="seed"/> so that planes differ.</summary>
    private static byte[] Discs(int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[Width * Height];
        var (cx, cy) = (12 + (seed * 13 % 96), 10 + (seed * 11 % 90));
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var disc = ((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) < 90;
                pixels[(y * Width) + x] = (byte)((disc ? 200 : x) + random.Next(20));
            }
        }

        return pixels;
    }

    private static byte[] Threshold(byte[] plane) => [.. plane.Select(v => v >= 200 ? (byte)255 : (byte)0)];

    private static byte[] Png(byte[] gray)
    {
        using var image = Image.NewFromMemory(gray, Width, Height, 1, Enums.BandFormat.Uchar);
        return image.PngsaveBuffer();
    }
}
