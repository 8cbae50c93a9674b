namespace UNetPP.Cluster.Client.Tests;

/// <summary><c>unetpp nuclei</c> then <c>unetpp train</c> as a user runs them: data, a short training run, a model that <c>segment</c> takes.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task SyntheticDataTrainsIntoAModelThatSegmentRuns()
    {
        var data = _temp.File("data");
        var run = _temp.File("run");

        var generated = await CliRunner.RunAsync("nuclei", "--out", data, "--count", "6", "--width", "64", "--height", "48", "--seed", "4");
        Assert.Equal(ExitCodes.Success, generated.ExitCode);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(data, "images")).Length);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(data, "masks")).Length);

        var trained = await CliRunner.RunAsync(
            "train", "--data", data, "--out", run, "--filters", "4,8,16,32,64", "--deep-supervision",
            "--epochs", "2", "--size", "32", "--batch", "4", "--crops", "2", "--threads", "2", "--tile-size", "64");
        Assert.True(trained.ExitCode == ExitCodes.Success, trained.Error);
        Assert.Contains("epoch 2: loss", trained.Output, StringComparison.Ordinal);
        Assert.Contains("Best epoch", trained.Output, StringComparison.Ordinal);
        foreach (var file in new[] { "model.onnx", "weights.safetensors", "log.csv", "training.png" })
        {
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        }

        var segmented = await CliRunner.RunAsync("segment", Path.Combine(data, "images"), "--out", _temp.File("out"), "--model", Path.Combine(run, "model.onnx"), "--mode", "L2");
        Assert.Equal(ExitCodes.Success, segmented.ExitCode);
        Assert.Equal(6, Directory.GetFiles(_temp.File("out/masks")).Length);
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs 0")]
    [InlineData("--size", "40", "--size 40")]
    [InlineData("--filters", "4,8", "--filters needs 5")]
    public async Task BadSettingsStopBeforeTrainingAndNameTheSetting(string option, string value, string expected)
    {
        var data = _temp.File("data");
        await CliRunner.RunAsync("nuclei", "--out", data, "--count", "2", "--width", "32", "--height", "32");

        var result = await CliRunner.RunAsync("train", "--data", data, "--out", _temp.File("run"), option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.File("run")));
    }

    [Fact]
    public async Task DataWithoutImagesIsRefusedNamingTheLocation()
    {
        var empty = Directory.CreateDirectory(_temp.File("empty")).FullName;

        var result = await CliRunner.RunAsync("train", "--data", empty, "--out", _temp.File("run"), "--epochs", "1");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains($"{empty}: no images under images/", result.Error, StringComparison.Ordinal);
    }
}
