using System.Security.Cryptography;
using System.Text.Json;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// <c>unetpp segment --resume</c> and <c>--retry-failed</c> as a lab runs them after an interrupted
/// or partly failed run: what is done and current is skipped, what changed is done again with the
/// reason, and the report covers the whole output.
/// </summary>
public sealed class ResumeCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _model;
    private readonly string _images;

    public ResumeCommandTests()
    {
        _model = SmallModel("small.onnx", seed: 3);
        _images = Directory.CreateDirectory(_temp.File("plate+1")).FullName;
        TestImages.WriteDiscs(Path.Combine(_images, "a.png"), 96, 80, bands: 3);
        TestImages.WriteDiscs(Path.Combine(_images, "b.png"), 40, 50, bands: 1);
        TestImages.WriteDiscs(Path.Combine(_images, "c.png"), 70, 70, bands: 3);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ResumeSkipsEveryImageWhoseOutputsAreCurrentAndReportsTheWholeOutput()
    {
        var output = _temp.File("out");
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(output)).ExitCode);
        var first = await ReportAsync(output);
        var masks = Masks(output);

        var again = await SegmentAsync(output, "--resume");

        Assert.Equal(ExitCodes.Success, again.ExitCode);
        var report = await ReportAsync(output);
        Assert.NotEqual(first.JobId, report.JobId);
        Assert.Equal(new ReportCounts(3, 3, 0, Skipped: 3), report.Counts);
        Assert.All(report.Images, image => Assert.Equal(first.JobId, image.MadeBy));
        // As JSON: a class's object sizes are a list, which records compare by reference.
        Assert.Equal(first.Images.Select(i => System.Text.Json.JsonSerializer.Serialize(i.Classes)), report.Images.Select(i => System.Text.Json.JsonSerializer.Serialize(i.Classes)));
        Assert.Equal(first.JobId, report.Resume!.PreviousJob);
        Assert.Equal(["a.png", "b.png", "c.png"], report.Resume.Skipped.Select(s => s.Name));
        Assert.Empty(report.Resume.Redone);
        Assert.Equal(masks, Masks(output));
        Assert.Contains("3 skipped as done and current", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChangedInputModelOptionOrMissingOutputMakesImagesBeDoneAgainWithTheReason()
    {
        var output = _temp.File("out");
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(output)).ExitCode);

        // One byte of one input: only that image is done again.
        var a = Path.Combine(_images, "a.png");
        TestImages.WriteDiscs(a, 96, 81, bands: 3);
        await SegmentAsync(output, "--resume");
        Assert.Equal([("a.png", "input changed")], Redone(await ReportAsync(output)));

        // Another model: every image.
        var other = SmallModel("other.onnx", seed: 4);
        await SegmentAsync(output, "--resume", "--model", other);
        Assert.All(Redone(await ReportAsync(output)), r => Assert.Equal("model changed", r.Reason));
        Assert.Equal(3, Redone(await ReportAsync(output)).Count);

        // An option that changes the outputs: every image, naming the option.
        await SegmentAsync(output, "--resume", "--model", other, "--overlays");
        Assert.Equal(
            ["option --overlays changed (off → on)"],
            Redone(await ReportAsync(output)).Select(r => r.Reason).Distinct());

        // An output removed by hand: that image.
        File.Delete(Path.Combine(output, "overlays", "c.png"));
        var last = await SegmentAsync(output, "--resume", "--model", other, "--overlays");
        var report = await ReportAsync(output);
        Assert.Equal(ExitCodes.Success, last.ExitCode);
        Assert.Equal([("c.png", "overlays/c.png missing")], Redone(report));
        Assert.Equal(new ReportCounts(3, 3, 0, Skipped: 2), report.Counts);
        Assert.True(File.Exists(Path.Combine(output, "overlays", "c.png")));
    }

    [Fact]
    public async Task ResumeWithAnotherMaskFormatDoesEveryImageAgainInThatFormat()
    {
        var output = _temp.File("out");
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(output)).ExitCode);

        Assert.Equal(ExitCodes.Success, (await SegmentAsync(output, "--resume", "--mask-format", "ome-tiff")).ExitCode);
        var report = await ReportAsync(output);
        Assert.Equal(["option --mask-format changed (not set → ome-tiff)"], Redone(report).Select(r => r.Reason).Distinct());
        Assert.Equal(3, Redone(report).Count);
        Assert.Equal(["masks/a.ome.tif", "masks/b.ome.tif", "masks/c.ome.tif"], report.Images.Select(i => i.Mask));
        Assert.All(report.Images, i => Assert.True(File.Exists(Path.Combine(output, i.Mask)), i.Mask));

        Assert.Equal(ExitCodes.Success, (await SegmentAsync(output, "--resume", "--mask-format", "ome-tiff")).ExitCode);
        Assert.Equal(new ReportCounts(3, 3, 0, Skipped: 3), (await ReportAsync(output)).Counts);

        await SegmentAsync(output, "--resume", "--mask-format", "png");
        Assert.Equal(["option --mask-format changed (ome-tiff → not set)"], Redone(await ReportAsync(output)).Select(r => r.Reason).Distinct());
    }

    [Fact]
    public async Task RetryFailedSegmentsOnlyTheEarlierFailuresAndLeavesOutWhatIsNotCurrent()
    {
        var broken = Path.Combine(_images, "d.png");
        await File.WriteAllBytesAsync(broken, []);
        var output = _temp.File("out");
        Assert.Equal(ExitCodes.ImagesFailed, (await SegmentAsync(output)).ExitCode);
        TestImages.WriteDiscs(broken, 50, 50, bands: 3);
        TestImages.WriteDiscs(Path.Combine(_images, "b.png"), 40, 51, bands: 1);
        var bMask = File.GetLastWriteTimeUtc(Path.Combine(output, "masks", "b.png"));

        var retried = await SegmentAsync(output, "--retry-failed");

        Assert.Equal(ExitCodes.Success, retried.ExitCode);
        var report = await ReportAsync(output);
        Assert.Equal(new ReportCounts(4, 3, 0, Skipped: 2, LeftOut: 1), report.Counts);
        Assert.True(File.Exists(Path.Combine(output, "masks", "d.png")));
        Assert.Equal(["a.png", "c.png"], report.Resume!.Skipped.Select(s => s.Name));
        Assert.Equal([("d.png", "failed in the earlier job")], Redone(report));
        var leftOut = Assert.Single(report.Resume.LeftOut);
        Assert.Equal("b.png", leftOut.Name);
        Assert.Contains("input changed", leftOut.Reason, StringComparison.Ordinal);
        Assert.Contains("--resume", leftOut.Reason, StringComparison.Ordinal);
        Assert.Equal(bMask, File.GetLastWriteTimeUtc(Path.Combine(output, "masks", "b.png")));
    }

    [Fact]
    public async Task RetryFailedWithoutAnEarlierReportIsAUsageErrorThatNamesResume()
    {
        var result = await SegmentAsync(_temp.File("fresh"), "--retry-failed");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--retry-failed", result.Error, StringComparison.Ordinal);
        Assert.Contains("give --resume", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOutputOfAnotherJobIsRefusedNamingResumeAndOverwriteAndBothTogetherAreAUsageError()
    {
        var output = _temp.File("out");
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(output)).ExitCode);

        var refused = await SegmentAsync(output);
        var both = await SegmentAsync(output, "--resume", "--overwrite");

        Assert.Equal(ExitCodes.UsageError, refused.ExitCode);
        Assert.Contains("give --resume to continue it, --overwrite to replace them", refused.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, both.ExitCode);
        Assert.Contains("--resume and --overwrite", both.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheReportRecordsWhatRanInPlainJson()
    {
        var output = _temp.File("out");
        Assert.Equal(ExitCodes.Success, (await SegmentAsync(output, "--batch", "3")).ExitCode);

        var json = await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName));
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var model = root.GetProperty("model");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(_model))), model.GetProperty("sha256").GetString());
        Assert.Equal(64, model.GetProperty("tileSize").GetInt32()); // the model card's, as the engine took it
        Assert.Equal(3, model.GetProperty("batchSize").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("version").GetString()));
        var silo = Assert.Single(root.GetProperty("silos").EnumerateArray().ToList());
        Assert.Equal(("cpu", 3, 64, 3), (silo.GetProperty("device").GetString(), silo.GetProperty("images").GetInt32(), silo.GetProperty("tileSize").GetInt32(), silo.GetProperty("batchSize").GetInt32()));
        Assert.Contains("plate+1", root.GetProperty("input").GetString(), StringComparison.Ordinal);
        Assert.Contains("plate+1", json, StringComparison.Ordinal);
        Assert.True(root.GetProperty("times").TryGetProperty("images[].seconds", out _));
    }

    [Fact]
    public async Task ScoresAreNamedPlainly()
    {
        var labels = Directory.CreateDirectory(_temp.File("labels")).FullName;
        foreach (var name in new[] { "a.png", "b.png", "c.png" })
        {
            File.Copy(Path.Combine(_images, name), Path.Combine(labels, name));
        }

        var output = _temp.File("out");
        await SegmentAsync(output, "--labels", labels);

        var json = await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName));
        Assert.Contains("\"iou\":", json, StringComparison.Ordinal);
        Assert.Contains("\"meanIou\":", json, StringComparison.Ordinal);
        Assert.DoesNotContain("ioU", json, StringComparison.Ordinal);
        Assert.NotNull((await ReportAsync(output)).Quality);
    }

    private string SmallModel(string name, int seed)
    {
        var options = new NestedUNetOptions { Filters = [4, 8, 16, 32, 64], DeepSupervision = true };
        var card = ModelCard.ForNestedUNet(options) with { TileSize = 64 };
        var path = _temp.File(name);
        ModelFile.Save(NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, seed), card), path);
        return path;
    }

    private Task<CliResult> SegmentAsync(string output, params string[] more) =>
        CliRunner.RunAsync(["segment", _images, "--out", output, .. more.Contains("--model") ? [] : new[] { "--model", _model }, .. more]);

    private static async Task<JobReport> ReportAsync(string output) =>
        JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName)));

    private static List<(string Name, string Reason)> Redone(JobReport report) =>
        [.. report.Resume!.Redone.Select(r => (r.Name, r.Reason))];

    private static Dictionary<string, DateTime> Masks(string output) =>
        Directory.EnumerateFiles(Path.Combine(output, "masks")).ToDictionary(path => path, File.GetLastWriteTimeUtc);
}
