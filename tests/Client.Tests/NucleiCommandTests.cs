namespace UNetPP.Cluster.Client.Tests;

/// <summary><c>unetpp nuclei</c>: a synthetic data set of images and masks with the same names, the layout <c>--labels</c> and <c>unetpp-train</c> read.</summary>
public sealed class NucleiCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task WritesPairsOfTheSameNamesThatSegmentScores()
    {
        var data = _temp.File("data");

        var generated = await CliRunner.RunAsync("nuclei", "--out", data, "--count", "3", "--width", "64", "--height", "48", "--seed", "4");

        Assert.Equal(ExitCodes.Success, generated.ExitCode);
        Assert.Contains($"Wrote 3 image(s) and mask(s) under {data}", generated.Output, StringComparison.Ordinal);
        var images = Directory.GetFiles(Path.Combine(data, "images")).Select(Path.GetFileName);
        Assert.Equal(images, Directory.GetFiles(Path.Combine(data, "masks")).Select(Path.GetFileName));
        Assert.Equal(3, images.Count());

        var segmented = await CliRunner.RunAsync("segment", Path.Combine(data, "images"), "--out", _temp.File("out"), "--labels", Path.Combine(data, "masks"));
        Assert.Equal(ExitCodes.Success, segmented.ExitCode);
        Assert.Contains("Done: 3 of 3", segmented.Output, StringComparison.Ordinal);
        Assert.Contains("Against ground truth (3 image(s)): mean IoU", segmented.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrowdedFieldsComeWithInstanceLabelsOfTheSameNames()
    {
        var data = _temp.File("crowded");

        var generated = await CliRunner.RunAsync("nuclei", "--out", data, "--count", "2", "--width", "64", "--height", "64", "--crowded");

        Assert.Equal(ExitCodes.Success, generated.ExitCode);
        Assert.Contains($"Wrote 2 image(s), mask(s) and instance label(s) under {data}", generated.Output, StringComparison.Ordinal);
        var images = Directory.GetFiles(Path.Combine(data, "images")).Select(Path.GetFileName).ToArray();
        Assert.Equal(images, Directory.GetFiles(Path.Combine(data, "masks")).Select(Path.GetFileName));
        Assert.Equal(images, Directory.GetFiles(Path.Combine(data, "labels")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ACountBelowOneIsAUsageError()
    {
        var result = await CliRunner.RunAsync("nuclei", "--out", _temp.File("data"), "--count", "0");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--count must be a positive whole number; got 0.", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.File("data")));
    }
}
