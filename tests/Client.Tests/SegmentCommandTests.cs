using System.Text.Json;
using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Client.Tests;

/// <summary><c>unetpp segment</c> as a script runs it: exit codes, files on disk, the report, and one clear line per bad input.</summary>
public sealed class SegmentCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _model;
    private readonly string _images;

    public SegmentCommandTests()
    {
        _model = TestModels.WriteSmall(_temp.File("small.onnx"));
        _images = Directory.CreateDirectory(_temp.File("images")).FullName;
        Directory.CreateDirectory(Path.Combine(_images, "plate-1"));
        TestImages.WriteDiscs(Path.Combine(_images, "a.png"), 96, 80, bands: 3);
        TestImages.WriteDiscs(Path.Combine(_images, "plate-1", "b.png"), 40, 50, bands: 1);
        TestImages.WriteDiscs(Path.Combine(_images, "c.tif"), 70, 70, bands: 3, sixteenBit: true);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task EveryGoodImageGetsAMaskAndTheReportSaysSo()
    {
        var output = _temp.File("out");
        var result = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model, "--overlays", "--probabilities");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        foreach (var (name, width, height) in new[] { ("a", 96, 80), ("plate-1/b", 40, 50), ("c", 70, 70) })
        {
            using var mask = Image.NewFromFile(Path.Combine(output, "masks", name + ".png"));
            Assert.Equal((width, height, 1), (mask.Width, mask.Height, mask.Bands));
            using var overlay = Image.NewFromFile(Path.Combine(output, "overlays", name + ".png"));
            Assert.Equal(3, overlay.Bands);
            using var probability = Image.NewFromFile(Path.Combine(output, "probabilities", name + ".png"));
            Assert.Equal(Enums.BandFormat.Ushort, probability.Format);
        }

        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, "report.json")));
        Assert.Equal(new ReportCounts(3, 3, 0), report.Counts);
        Assert.Equal(["a.png", "c.tif", "plate-1/b.png"], report.Images.Select(i => i.Name));
        Assert.Equal(4, report.Images.Single(i => i.Name == "a.png").Tiles); // 2 × 2 tiles of 64 with a stride of 48
        Assert.True(report.Throughput.Tiles >= 4);
        Assert.Empty(Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories));
        Assert.Contains("Done: 3 of 3", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALargeImageCutIntoBandsGetsTheSameFilesAsUncut()
    {
        var large = Directory.CreateDirectory(_temp.File("large")).FullName;
        TestImages.WriteDiscs(Path.Combine(large, "scan.tif"), 310, 270, bands: 3, sixteenBit: true);
        var uncut = _temp.File("uncut");
        var cut = _temp.File("cut");

        var whole = await CliRunner.RunAsync("segment", large, "--out", uncut, "--model", _model, "--probabilities", "--overlays");
        var banded = await CliRunner.RunAsync(
            "segment", large, "--out", cut, "--model", _model, "--probabilities", "--overlays", "--region-pixels", "10000", "--region-size", "100");

        Assert.Equal(ExitCodes.Success, whole.ExitCode);
        Assert.Equal(ExitCodes.Success, banded.ExitCode);
        foreach (var folder in new[] { "masks", "probabilities", "overlays" })
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(uncut, folder, "scan.png")), await File.ReadAllBytesAsync(Path.Combine(cut, folder, "scan.png")));
        }

        var uncutReport = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(uncut, "report.json")));
        var cutReport = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(cut, "report.json")));
        Assert.Equal(new ReportCounts(1, 1, 0), cutReport.Counts);
        Assert.True(cutReport.Images[0].Tiles > uncutReport.Images[0].Tiles, "the cut run computes the tiles on its cuts twice");
        Assert.Equal(uncutReport.Images[0].Classes.Select(c => c.ObjectCount), cutReport.Images[0].Classes.Select(c => c.ObjectCount));
        Assert.Equal([".unetpp", ".unetpp-job", "masks", "overlays", "probabilities", "report.html", "report.json"], Directory.EnumerateFileSystemEntries(cut).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ASecondRunIntoTheSameOutputIsRefusedUnlessItMayOverwrite()
    {
        var output = _temp.File("twice");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model)).ExitCode);
        var mask = Path.Combine(output, "masks", "a.png");
        var written = File.GetLastWriteTimeUtc(mask);

        var again = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model);

        Assert.NotEqual(ExitCodes.Success, again.ExitCode);
        Assert.Contains("holds the results of job", again.Error, StringComparison.Ordinal);
        Assert.Contains("--overwrite", again.Error, StringComparison.Ordinal);
        Assert.Equal(written, File.GetLastWriteTimeUtc(mask));

        var replaced = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model, "--overwrite");
        Assert.Equal(ExitCodes.Success, replaced.ExitCode);
        Assert.True(File.GetLastWriteTimeUtc(mask) > written, "the masks were written again");
    }

    [Fact]
    public async Task BadImagesFailOneByOneWithTheirReasonAndTheRestFinish()
    {
        var good = await File.ReadAllBytesAsync(Path.Combine(_images, "a.png"));
        await File.WriteAllBytesAsync(Path.Combine(_images, "truncated.png"), good[..(good.Length / 2)]);
        await File.WriteAllBytesAsync(Path.Combine(_images, "empty.png"), []);
        await File.WriteAllTextAsync(Path.Combine(_images, "notes.png"), "this is not an image");
        using (var multispectral = Image.Black(20, 20, bands: 5))
        {
            multispectral.WriteToFile(Path.Combine(_images, "five-bands.tif"));
        }

        TestImages.WriteDiscs(Path.Combine(_images, "huge.png"), 300, 300, bands: 3);
        var output = _temp.File("out");

        var result = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model, "--max-pixels", "50000");

        Assert.Equal(ExitCodes.ImagesFailed, result.ExitCode);
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, "report.json")));
        Assert.Equal(new ReportCounts(8, 3, 5), report.Counts);
        var reasons = report.Failures.ToDictionary(f => f.Name, f => f.Reason);
        Assert.Contains("truncated or corrupt", reasons["truncated.png"], StringComparison.Ordinal);
        Assert.Contains("empty", reasons["empty.png"], StringComparison.Ordinal);
        Assert.Contains("not a PNG, JPEG or TIFF", reasons["notes.png"], StringComparison.Ordinal);
        Assert.Contains("5 channels", reasons["five-bands.tif"], StringComparison.Ordinal);
        Assert.Contains("exceeds the limit", reasons["huge.png"], StringComparison.Ordinal);
        foreach (var name in reasons.Keys)
        {
            Assert.False(File.Exists(Path.Combine(output, "masks", Path.ChangeExtension(name, ".png"))), $"{name} left a mask");
            Assert.Contains($"failed {name}: ", result.Output, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(Path.Combine(output, "masks", "a.png")));
        Assert.Empty(Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task TwoInputsThatWouldShareAMaskNameAreNotBothWritten()
    {
        TestImages.WriteDiscs(Path.Combine(_images, "a.tif"), 30, 30, bands: 3);
        var output = _temp.File("out");

        var result = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model);

        Assert.Equal(ExitCodes.ImagesFailed, result.ExitCode);
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, "report.json")));
        var failure = Assert.Single(report.Failures);
        Assert.Equal("a.tif", failure.Name);
        Assert.Contains("already taken by a.png", failure.Reason, StringComparison.Ordinal);
        using var mask = Image.NewFromFile(Path.Combine(output, "masks", "a.png"));
        Assert.Equal(96, mask.Width);
    }

    [Fact]
    public async Task JsonPutsOnlyTheReportOnStdout()
    {
        var result = await CliRunner.RunAsync("segment", Path.Combine(_images, "a.png"), "--out", _temp.File("out"), "--model", _model, "--json", "--mode", "accurate");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        Assert.Equal("accurate", document.RootElement.GetProperty("model").GetProperty("mode").GetString());
        Assert.Equal(1, document.RootElement.GetProperty("counts").GetProperty("done").GetInt32());
        Assert.Contains("Done: 1 of 1", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TtaAveragesFlippedTilesAndTheReportSaysSo()
    {
        var image = Path.Combine(_images, "a.png");
        var plain = _temp.File("plain");
        var augmented = _temp.File("tta");

        var once = await CliRunner.RunAsync("segment", image, "--out", plain, "--model", _model, "--probabilities");
        var result = await CliRunner.RunAsync("segment", image, "--out", augmented, "--model", _model, "--probabilities", "--tta", "--json");

        Assert.Equal(ExitCodes.Success, once.ExitCode);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("with test-time augmentation", result.Error, StringComparison.Ordinal);
        var report = JobReport.FromJson(result.Output);
        Assert.True(report.Model.Tta);
        Assert.False(JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(plain, "report.json"))).Model.Tta);
        Assert.Equal(4, report.Images.Single().Tiles); // grid tiles, as without TTA
        Assert.NotEqual(
            await File.ReadAllBytesAsync(Path.Combine(plain, "probabilities", "a.png")),
            await File.ReadAllBytesAsync(Path.Combine(augmented, "probabilities", "a.png")));
    }

    [Fact]
    public async Task TwelveBitDataIsWarnedUnderTheFixedNormalisationAndNormalisedPerImageOnRequest()
    {
        var images = Directory.CreateDirectory(_temp.File("twelve")).FullName;
        var sixteen = Path.Combine(images, "faint.tif");
        TestImages.WriteDiscs(sixteen, 70, 70, bands: 3, sixteenBit: true);
        using (var full = Image.NewFromFile(sixteen))
        using (var twelve = full.Linear([16.0 / 257], [0.0]).Cast(Enums.BandFormat.Ushort))
        {
            twelve.WriteToFile(Path.Combine(images, "twelve.tif"));
        }

        File.Delete(sixteen);
        var (plain, percentile) = (_temp.File("plain"), _temp.File("percentile"));

        var warned = await CliRunner.RunAsync("segment", images, "--out", plain, "--model", _model, "--probabilities");
        var normalised = await CliRunner.RunAsync("segment", images, "--out", percentile, "--model", _model, "--probabilities", "--normalize", "percentile:1,99.8");

        Assert.Equal(ExitCodes.Success, warned.ExitCode);
        Assert.Equal(ExitCodes.Success, normalised.ExitCode);
        var warning = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(plain, "report.json"))).Images.Single().Warning;
        Assert.Contains("--normalize percentile", warning, StringComparison.Ordinal);
        Assert.Contains("Warnings (1)", await File.ReadAllTextAsync(Path.Combine(plain, "report.html")), StringComparison.Ordinal);
        Assert.Null(JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(percentile, "report.json"))).Images.Single().Warning);
        Assert.NotEqual(
            await File.ReadAllBytesAsync(Path.Combine(plain, "probabilities", "twelve.png")),
            await File.ReadAllBytesAsync(Path.Combine(percentile, "probabilities", "twelve.png")));
    }

    [Fact]
    public async Task GroundTruthAddsIoUAndDice()
    {
        var labels = Directory.CreateDirectory(_temp.File("labels")).FullName;
        var first = _temp.File("first");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("segment", _images, "--out", first, "--model", _model)).ExitCode);

        // The model's own masks as ground truth must score perfectly; a blank truth for one image must not.
        File.Copy(Path.Combine(first, "masks", "a.png"), Path.Combine(labels, "a.png"));
        using (var blank = Image.Black(70, 70))
        {
            blank.WriteToFile(Path.Combine(labels, "c.png"));
        }

        var output = _temp.File("out");
        var result = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model, "--labels", labels);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, "report.json")));
        var a = report.Images.Single(i => i.Name == "a.png").Classes[0];
        Assert.Equal(1.0, a.IoU!.Value, 6);
        Assert.Equal(1.0, a.Dice!.Value, 6);
        var c = report.Images.Single(i => i.Name == "c.tif").Classes[0];
        Assert.Equal(c.ForegroundFraction > 0 ? 0.0 : 1.0, c.IoU!.Value, 3);
        Assert.Null(report.Images.Single(i => i.Name == "plate-1/b.png").Classes[0].IoU);
        Assert.Equal(2, report.Quality!.Images);
    }

    [Fact]
    public async Task ACudaDeviceThatCannotLoadStopsBeforeAnythingRunsSayingWhatFailed()
    {
        // These machines, like CI, have ONNX Runtime's CUDA provider but not the CUDA libraries it needs.
        var output = _temp.File("out");
        var result = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model, "--device", "cuda:0");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Matches(
            @"^error: --device cuda:0 cannot be used: ONNX Runtime's CUDA provider needs lib\w+\.so[\d.]* \([^)]+\), which is not installed \(or not on LD_LIBRARY_PATH\)$",
            result.Error.Trim());
        Assert.Equal("", result.Output);
        Assert.False(Directory.Exists(output), "nothing was started, so nothing was written");
    }

    [Fact]
    public async Task AutoWithoutCudaRunsOnTheCpuAndTheHeaderSaysSo()
    {
        var output = _temp.File("out");
        var result = await CliRunner.RunAsync("segment", Path.Combine(_images, "a.png"), "--out", output, "--model", _model, "--device", "auto");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^Segmenting .*a\.png with .*, mode L4, on cpu \(job job-[\w-]+\)\.$", result.Output.Split('\n')[0]);
        Assert.True(File.Exists(Path.Combine(output, "masks", "a.png")));
    }

    [Theory]
    [InlineData("--tile", "50", "--tile 50")]
    [InlineData("--overlap", "1.5", "--overlap 1.5")]
    [InlineData("--batch", "0", "--batch 0")]
    [InlineData("--device", "tpu", "--device tpu: 'tpu' is not an inference device; use auto, cpu or cuda:N (for example cuda:0).")]
    [InlineData("--mode", "L9", "'L9' is not an inference mode")]
    [InlineData("--region-size", "8", "--region-size 8")]
    [InlineData("--region-pixels", "0", "--region-pixels 0")]
    [InlineData("--overlap", "-0.1", "--overlap -0.1")]
    [InlineData("--shard-size", "0", "--shard-size 0")]
    [InlineData("--max-attempts", "0", "--max-attempts 0")]
    [InlineData("--max-pixels", "-5", "--max-pixels -5")]
    [InlineData("--tile", "abc", "abc")]
    [InlineData("--labels", "no-such-folder", "no-such-folder: no such folder")]
    [InlineData("--labels", "https://acct.blob.core.windows.net/truth/set-1?sv=2025-01-05&sp=rl&sig=c2VjcmV0", "--labels https://acct.blob.core.windows.net/truth/set-1?sv=2025-01-05&sp=rl&sig=REDACTED: the location holds a SAS signature, and a command line shows in process listings; give the location without its query and set $UNETPP_LABELS_SAS to the SAS")]
    [InlineData("--blob-connection", "AccountName=a;AccountKey=c2VjcmV0", "--blob-connection: the value holds a secret (an account key or signature), and a command line shows in process listings; set $UNETPP_BLOB_CONNECTION instead")]
    public async Task BadSettingsStopBeforeAnythingRunsAndNameTheSetting(string option, string value, string expected)
    {
        var output = _temp.File("out");
        var result = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", _model, option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), "nothing was started, so nothing was written");
    }

    [Theory]
    [InlineData("half")]
    [InlineData("empty")]
    [InlineData("png")]
    public async Task ADamagedModelFileStopsBeforeAnythingRunsNamingTheFile(string damage)
    {
        var model = await File.ReadAllBytesAsync(_model);
        var damaged = _temp.File($"damaged-{damage}.onnx");
        await File.WriteAllBytesAsync(damaged, damage switch
        {
            "half" => model[..(model.Length / 2)],
            "empty" => [],
            _ => await File.ReadAllBytesAsync(Path.Combine(_images, "a.png")),
        });
        var output = _temp.File("out-" + damage);

        var result = await CliRunner.RunAsync("segment", _images, "--out", output, "--model", damaged);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(damaged, result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Trim().Split('\n'), line => line.Contains(damaged, StringComparison.Ordinal));
        Assert.False(Directory.Exists(output), "nothing was started, so nothing was written");
    }

    [Fact]
    public async Task AFileThatIsNotAModelIsAModelError()
    {
        var notAModel = _temp.File("weights.onnx");
        await File.WriteAllTextAsync(notAModel, "not a model");

        var result = await CliRunner.RunAsync("segment", _images, "--out", _temp.File("out"), "--model", notAModel);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(notAModel, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AModeTheModelDoesNotHaveIsRefusedWithTheModesItHas()
    {
        var options = new NestedUNetOptions { Filters = [4, 8, 16, 32, 64], DeepSupervision = false };
        var single = _temp.File("single-head.onnx");
        ModelFile.Save(NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, 1), ModelCard.ForNestedUNet(options)), single);

        var result = await CliRunner.RunAsync("segment", _images, "--out", _temp.File("out"), "--model", single, "--mode", "L2");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("mode L2 is not available; this model offers L4", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFolderWithoutImagesEndsTheJobAtPlanningSayingSoAndWhy()
    {
        var empty = Directory.CreateDirectory(_temp.File("no-images")).FullName;
        File.WriteAllText(Path.Combine(empty, "notes.txt"), "plate map");
        var output = _temp.File("out-none");

        var result = await CliRunner.RunAsync("segment", empty, "--out", output, "--model", _model);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("Done: no image was segmented; job ", result.Output, StringComparison.Ordinal);
        Assert.Contains(" Failed while it was being planned.", result.Output, StringComparison.Ordinal);
        Assert.Contains($"{empty}: no PNG, JPEG or TIFF images there.", result.Output, StringComparison.Ordinal);

        // Neither a time nor a place for masks that were never made.
        Assert.DoesNotContain(" s (", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Masks,", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingInputIsAUsageError()
    {
        var result = await CliRunner.RunAsync("segment", _temp.File("nowhere"), "--out", _temp.File("out"), "--model", _model);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("nowhere: no such file or folder", result.Error, StringComparison.Ordinal);
    }
}
