using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Synthetic;
using UNetPP.Cluster.Training.CommandLine;

namespace UNetPP.Cluster.Training.Tests;

/// <summary><c>unetpp-train</c> as a user runs it on <c>unetpp nuclei</c>'s data: a short training run, a model the engine segments with.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _folder = TrainingTestKit.TempDirectory();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task SyntheticDataTrainsIntoAModelTheEngineSegmentsWith()
    {
        var data = Path.Combine(_folder, "data");
        var run = Path.Combine(_folder, "run");
        SyntheticNuclei.Write(data, count: 6, width: 64, height: 48, seed: 4);

        var trained = await TrainCliRunner.RunAsync(
            "--data", data, "--out", run, "--filters", "4,8,16,32,64",
            "--epochs", "2", "--size", "32", "--batch", "4", "--crops", "2", "--threads", "2", "--tile-size", "64");
        Assert.True(trained.ExitCode == ExitCodes.Success, trained.Error);
        Assert.Contains("epoch 2: loss", trained.Output, StringComparison.Ordinal);
        Assert.Contains("Best epoch", trained.Output, StringComparison.Ordinal);
        foreach (var file in new[] { "model.onnx", "weights.safetensors", "log.csv", "training.png" })
        {
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        }

        // Deep supervision is on by default, so the pruned modes of the article are there: what
        // unetpp segment --model run/model.onnx --mode L2 opens and runs.
        var model = ModelFile.Load(Path.Combine(run, "model.onnx"));
        Assert.All(new[] { InferenceMode.L1, InferenceMode.L2, InferenceMode.L3, InferenceMode.L4, InferenceMode.Accurate }, mode => Assert.True(model.Card.Supports(mode), $"{mode}"));
        using var engine = SegmentationEngine.Create(
            model, new SegmentationOptions { Mode = InferenceMode.L2, Device = new DeviceSessionOptions { IntraOpThreads = 1 } }, NullLogger.Instance);
        foreach (var image in Directory.GetFiles(Path.Combine(data, "images")))
        {
            var segmented = await engine.SegmentAsync(Path.GetFileName(image), await File.ReadAllBytesAsync(image), null, CancellationToken.None);
            Assert.Equal((64, 48), (segmented.Width, segmented.Height));
        }
    }

    [Fact]
    public async Task TheChosenNormalisationIsTrainedWithAndWrittenIntoTheModelCard()
    {
        var data = Path.Combine(_folder, "data");
        var run = Path.Combine(_folder, "run");
        SyntheticNuclei.Write(data, count: 3, width: 48, height: 48, seed: 2);

        var trained = await TrainCliRunner.RunAsync(
            "--data", data, "--out", run, "--filters", "4,8,16,32,64", "--epochs", "1", "--size", "32", "--batch", "4",
            "--threads", "2", "--normalize", "zscore", "--augment-intensity", "false");

        Assert.True(trained.ExitCode == ExitCodes.Success, trained.Error);
        Assert.Contains("zscore normalisation, intensity augmentation off", trained.Output, StringComparison.Ordinal);
        Assert.Equal("zscore", ModelFile.Load(Path.Combine(run, "model.onnx")).Card.Normalization.Method);
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs 0")]
    [InlineData("--normalize", "median", "--normalize median: use fixed, percentile")]
    [InlineData("--normalize", "percentile:99,1", "--normalize percentile:99,1: percentiles must satisfy")]
    [InlineData("--size", "40", "--size 40")]
    [InlineData("--filters", "4,8", "--filters needs 5")]
    [InlineData("--blob-connection", "AccountName=a;AccountKey=c2VjcmV0", "--blob-connection: the value holds a secret")]
    public async Task BadSettingsStopBeforeTrainingAndNameTheSetting(string option, string value, string expected)
    {
        var data = Path.Combine(_folder, "data");
        var run = Path.Combine(_folder, "run");
        SyntheticNuclei.Write(data, count: 2, width: 32, height: 32, seed: 1);

        var result = await TrainCliRunner.RunAsync("--data", data, "--out", run, option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task DataWithoutImagesIsRefusedNamingTheLocation()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;

        var result = await TrainCliRunner.RunAsync("--data", empty, "--out", Path.Combine(_folder, "run"), "--epochs", "1");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains($"{empty}: no images under images/", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMisspeltOptionIsAUsageErrorThatPointsToHelp()
    {
        var result = await TrainCliRunner.RunAsync("--data", _folder, "--out", Path.Combine(_folder, "run"), "--epoch", "3");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--epoch", result.Error, StringComparison.Ordinal);
        Assert.EndsWith("Run 'unetpp-train --help' for usage.", result.Error.TrimEnd(), StringComparison.Ordinal);
    }
}
