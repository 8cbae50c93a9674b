using NetVips;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>Where a lab points a run: outputs inside the input, inputs inside the output, and ground truth named the lab's way.</summary>
public sealed class InputsAndOutputsTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _model;

    public InputsAndOutputsTests()
    {
        _model = TestModels.WriteSmall(_temp.File("small.onnx"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task AnOutputInsideTheInputIsLeftOutOfItsListingRunAfterRun()
    {
        var nest = Directory.CreateDirectory(_temp.File("nest")).FullName;
        TestImages.WriteDiscs(Path.Combine(nest, "n1.png"), 64, 64, bands: 1);
        TestImages.WriteDiscs(Path.Combine(nest, "n2.png"), 48, 64, bands: 1);
        var results = Path.Combine(nest, "results");

        var first = await CliRunner.RunAsync("segment", nest, "--out", results, "--model", _model);
        var second = await CliRunner.RunAsync("segment", nest, "--out", results, "--model", _model, "--overwrite");

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Equal(ExitCodes.Success, second.ExitCode);
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(results, "report.json")));
        Assert.Equal(["n1.png", "n2.png"], report.Images.Select(i => i.Name));
        Assert.False(Directory.Exists(Path.Combine(results, "masks", "results")));
        Assert.Single(second.Output.Split('\n'), line => line.Contains("Leaving results/ out of the input", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("out/images", "out")]
    [InlineData("out", "out")]
    [InlineData("out/masks/n1.png", "out")]
    public async Task AnInputInsideTheOutputIsRefusedBeforeAnythingRuns(string input, string output)
    {
        var images = Directory.CreateDirectory(_temp.File(Path.GetDirectoryName(input)!.Length > 0 && input.EndsWith(".png", StringComparison.Ordinal) ? Path.GetDirectoryName(input)! : input)).FullName;
        TestImages.WriteDiscs(Path.Combine(images, "n1.png"), 64, 64, bands: 1);

        var result = await CliRunner.RunAsync("segment", _temp.File(input), "--out", _temp.File(output), "--model", _model);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains($"{_temp.File(input)} is ", result.Error, StringComparison.Ordinal);
        Assert.Contains("Choose an output outside the input", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_temp.File(output), "report.json")));
    }

    [Fact]
    public async Task OneImageBesideItsOutputFolderRuns()
    {
        var folder = Directory.CreateDirectory(_temp.File("bench")).FullName;
        TestImages.WriteDiscs(Path.Combine(folder, "cells.png"), 64, 64, bands: 1);

        var result = await CliRunner.RunAsync("segment", Path.Combine(folder, "cells.png"), "--out", folder, "--model", _model);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.True(File.Exists(Path.Combine(folder, "masks", "cells.png")));
    }

    [Fact]
    public async Task LabelsNamedWithTheUsualSuffixesAreMatchedAndTheUnmatchedAreCounted()
    {
        var images = Directory.CreateDirectory(_temp.File("images")).FullName;
        var names = new[] { "n1", "n2", "n3", "n4", "n5" };
        foreach (var name in names)
        {
            TestImages.WriteDiscs(Path.Combine(images, name + ".png"), 64, 64, bands: 1);
        }

        var first = _temp.File("first");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("segment", images, "--out", first, "--model", _model)).ExitCode);
        var labels = Directory.CreateDirectory(_temp.File("labels")).FullName;
        foreach (var (image, label) in new[] { ("n1", "n1_mask.png"), ("n2", "n2_labels.tif"), ("n3", "n3.mask.PNG"), ("n4", "n4.tiff") })
        {
            using var mask = Image.NewFromFile(Path.Combine(first, "masks", image + ".png"));
            mask.WriteToFile(Path.Combine(labels, label));
        }

        // A near miss is not a label: n5's truth must not be taken from n50's.
        File.Copy(Path.Combine(labels, "n4.tiff"), Path.Combine(labels, "n50_mask.png"));

        var output = _temp.File("out");
        var result = await CliRunner.RunAsync("segment", images, "--out", output, "--model", _model, "--labels", labels);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, "report.json")));
        foreach (var name in names[..4])
        {
            Assert.Equal(1.0, report.Images.Single(i => i.Name == name + ".png").Classes[0].IoU!.Value, 6);
        }

        Assert.Null(report.Images.Single(i => i.Name == "n5.png").Classes[0].IoU);
        Assert.Equal(4, report.Quality!.Images);
        Assert.Contains("Labels found for 4 of 5 image(s)", result.Output, StringComparison.Ordinal);
        Assert.Contains("<image>_mask.*", result.Output, StringComparison.Ordinal);
    }
}
