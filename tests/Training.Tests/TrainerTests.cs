using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Synthetic;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>A short run of the seed's recipe on synthetic nuclei: it learns, keeps its best epoch, and exports a model the engine runs.</summary>
public sealed class TrainerTests : IDisposable
{
    private readonly string _folder = TrainingTestKit.TempDirectory();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ATrainingRunLearnsLogsEveryEpochAndExportsTheBestAsAModelTheEngineRuns()
    {
        var data = Path.Combine(_folder, "data");
        SyntheticNuclei.Write(data, count: 10, width: 64, height: 64, seed: 3);
        var options = new TrainingOptions
        {
            Network = TrainingTestKit.Small(),
            Epochs = 4,
            Size = 48,
            BatchSize = 4,
            CropsPerImage = 3,
            LearningRate = 3e-3,
            Threads = 2,
            TileSize = 64,
        };
        var examples = await TrainingData.LoadAsync(new LocalObjectStore(data), data, ModelCard.ForNestedUNet(options.Network).ToInputSpec(), null, CancellationToken.None);
        var seen = new List<EpochResult>();

        var result = new Trainer(options).Train(examples, Path.Combine(_folder, "run"), new Progress(seen.Add), CancellationToken.None);

        Assert.Equal([1, 2, 3, 4], seen.Select(e => e.Epoch));
        Assert.Equal(2, result.ValidationImages.Count);
        Assert.True(seen[^1].Loss < seen[0].Loss, $"loss {seen[0].Loss} → {seen[^1].Loss}");
        Assert.Equal(seen.Max(e => e.ValidationIou), result.Best.ValidationIou);
        Assert.True(seen[0].LearningRate > seen[^1].LearningRate, "the cosine schedule lowers the rate");
        var log = await File.ReadAllLinesAsync(result.LogPath);
        Assert.Equal("epoch,lr,loss,iou,val_loss,val_iou,val_dice,seconds", log[0]);
        Assert.Equal(5, log.Length);
        Assert.True(new FileInfo(result.PlotPath).Length > 1000);

        // The exported model is the kept epoch's weights, and the engine segments with it.
        var weights = NestedUNetWeights.LoadSafetensors(result.WeightsPath, options.Network);
        var model = ModelFile.Load(result.ModelPath);
        Assert.Equal(64, model.Card.TileSize);
        using var engine = SegmentationEngine.Create(model, new SegmentationOptions { Device = new DeviceSessionOptions { IntraOpThreads = 1 } }, NullLogger.Instance);
        var image = await File.ReadAllBytesAsync(Path.Combine(data, "images", "nuclei-000.png"));
        var segmented = await engine.SegmentAsync("nuclei-000.png", image, null, CancellationToken.None);
        Assert.Equal((64, 64), (segmented.Width, segmented.Height));
        Assert.Equal(weights.Names, NestedUNetWeights.CreateInitial(options.Network, 0).Names);
    }

    [Fact]
    public async Task APercentileRunWritesItsNormalisationIntoTheCardAndTheSameSeedTrainsTheSameModel()
    {
        var data = Path.Combine(_folder, "data");
        SyntheticNuclei.Write(data, count: 4, width: 48, height: 48, seed: 5);
        var options = new TrainingOptions
        {
            Network = TrainingTestKit.Small(),
            Epochs = 1,
            Size = 32,
            BatchSize = 4,
            CropsPerImage = 2,
            Threads = 2,
            TileSize = 48,
            Normalization = NormalizationChoice.Parse("percentile:2,99.5"),
        };
        Assert.True(options.AugmentsIntensity, "a per-image normalisation augments intensities unless told not to");
        var examples = await TrainingData.LoadAsync(new LocalObjectStore(data), data, ModelCard.ForNestedUNet(options.Network).ToInputSpec(), null, CancellationToken.None);

        var first = new Trainer(options).Train(examples, Path.Combine(_folder, "first"), null, CancellationToken.None);
        var again = new Trainer(options).Train(examples, Path.Combine(_folder, "again"), null, CancellationToken.None);
        var plain = new Trainer(options with { AugmentIntensity = false }).Train(examples, Path.Combine(_folder, "plain"), null, CancellationToken.None);

        var card = ModelFile.Load(first.ModelPath).Card.Normalization;
        Assert.Equal((InputNormalization.Percentile, 2.0, 99.5), (card.Method, card.Low, card.High));
        Assert.Equal(await File.ReadAllBytesAsync(first.WeightsPath), await File.ReadAllBytesAsync(again.WeightsPath));
        Assert.NotEqual(first.Epochs[0].Loss, plain.Epochs[0].Loss);
    }

    [Fact]
    public void AFixedNormalisationIsTheDefaultTrainsWithoutIntensityAugmentationAndABadOneIsRefused()
    {
        var options = new TrainingOptions { Network = TrainingTestKit.Small() };

        Assert.Equal(InputNormalization.Fixed, options.InputNormalization.Method);
        Assert.Equal(InputNormalization.ImageNet.Mean, options.InputNormalization.Mean);
        Assert.False(options.AugmentsIntensity);
        Assert.True((options with { AugmentIntensity = true }).AugmentsIntensity);
        var error = Assert.Throws<ArgumentException>(() => (options with { Normalization = new(InputNormalization.Percentile, 99, 1) }).Validate());
        Assert.StartsWith("--normalize percentile:99,1: percentiles must satisfy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadDataIsRefusedNamingTheFile()
    {
        var data = Path.Combine(_folder, "data");
        SyntheticNuclei.Write(data, count: 2, width: 32, height: 32, seed: 1);
        File.Delete(Path.Combine(data, "masks", "nuclei-001.png"));
        var spec = ModelCard.ForNestedUNet(TrainingTestKit.Small()).ToInputSpec();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => TrainingData.LoadAsync(new LocalObjectStore(data), data, spec, null, CancellationToken.None));
        Assert.Contains("images/nuclei-001.png: no mask", error.Message, StringComparison.Ordinal);
        var nowhere = Path.Combine(_folder, "nowhere");
        error = await Assert.ThrowsAsync<InvalidDataException>(() => TrainingData.LoadAsync(new LocalObjectStore(nowhere), nowhere, spec, null, CancellationToken.None));
        Assert.Contains("no images under images/", error.Message, StringComparison.Ordinal);
    }

    private sealed class Progress(Action<EpochResult> report) : IProgress<EpochResult>
    {
        public void Report(EpochResult value) => report(value);
    }
}
