using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>One engine per model and way of running it, shared by the worker's shards.</summary>
public sealed class EngineCacheTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly EngineCache _cache;
    private readonly JobSpec _spec;

    public EngineCacheTests()
    {
        var options = new NestedUNetOptions { Filters = [4, 8, 16, 32, 64], DeepSupervision = true };
        var model = _temp.File("small.onnx");
        ModelFile.Save(NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, 5), ModelCard.ForNestedUNet(options) with { TileSize = 64 }), model);
        _spec = new JobSpec { Input = _temp.Path, Output = _temp.File("out"), Model = model };
        var storage = new DatasetStorage(new ObjectStoreFactory(new StorageOptions()));
        _cache = new EngineCache(InferenceDevice.Cpu, new WorkerOptions { Threads = 1 }, OnnxInferenceRuntime.Instance, storage, NullLogger.Instance);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task ShardsOfTheSameJobShareOneEngine()
    {
        var first = await _cache.GetAsync(_spec, CancellationToken.None);
        var second = await _cache.GetAsync(_spec with { Output = _temp.File("other") }, CancellationToken.None);

        Assert.Same(first, second);
        Assert.NotSame(first, await _cache.GetAsync(_spec with { Mode = "L1" }, CancellationToken.None));
    }

    [Fact]
    public async Task AJobWithTtaGetsItsOwnEngineThatAugments()
    {
        var plain = await _cache.GetAsync(_spec, CancellationToken.None);
        var augmented = await _cache.GetAsync(_spec with { Tta = true }, CancellationToken.None);

        Assert.NotSame(plain, augmented);
        Assert.False(plain.Tta);
        Assert.True(augmented.Tta);
    }

    [Fact]
    public async Task AJobThatChoosesChannelsGetsItsOwnEngine()
    {
        var plain = await _cache.GetAsync(_spec, CancellationToken.None);

        Assert.NotSame(plain, await _cache.GetAsync(_spec with { Channels = "0" }, CancellationToken.None));
        Assert.Same(await _cache.GetAsync(_spec with { Channels = "0" }, CancellationToken.None), await _cache.GetAsync(_spec with { Channels = "0" }, CancellationToken.None));
    }

    [Fact]
    public async Task TheSilosBatchesInFlightReachTheEnginesBatcher()
    {
        var storage = new DatasetStorage(new ObjectStoreFactory(new StorageOptions()));
        using var cache = new EngineCache(InferenceDevice.Cpu, new WorkerOptions { Threads = 1, InFlightBatches = 2 }, OnnxInferenceRuntime.Instance, storage, NullLogger.Instance);

        Assert.Equal(1, (await _cache.GetAsync(_spec, CancellationToken.None)).Batching.InFlightBatches);
        Assert.Equal(2, (await cache.GetAsync(_spec, CancellationToken.None)).Batching.InFlightBatches);
    }

    [Fact]
    public async Task AShardStoppedWhileTheEngineIsBuiltDoesNotFailTheBuildForTheOthers()
    {
        using var stopped = new CancellationTokenSource();
        await stopped.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _cache.GetAsync(_spec, stopped.Token));
        var engine = await _cache.GetAsync(_spec, CancellationToken.None);

        Assert.NotNull(engine);
    }

    [Fact]
    public async Task EveryEngineOpensItsModelThroughTheWorkersRuntime()
    {
        var runtime = new CountingRuntime();
        var storage = new DatasetStorage(new ObjectStoreFactory(new StorageOptions()));
        using var cache = new EngineCache(InferenceDevice.Cpu, new WorkerOptions { Threads = 1 }, runtime, storage, NullLogger.Instance);

        await cache.GetAsync(_spec, CancellationToken.None);
        await cache.GetAsync(_spec with { Mode = "L1" }, CancellationToken.None);
        await cache.GetAsync(_spec, CancellationToken.None);

        Assert.Equal(2, runtime.Opened);
    }

    [Fact]
    public async Task AModelThatWillNotLoadIsTriedAgainByTheNextShard()
    {
        var missing = _spec with { Model = _temp.File("later.onnx") };
        await Assert.ThrowsAsync<ModelException>(() => _cache.GetAsync(missing, CancellationToken.None));

        File.Copy(_spec.Model!, missing.Model!);

        Assert.NotNull(await _cache.GetAsync(missing, CancellationToken.None));
    }

    /// <summary>ONNX Runtime, counting the sessions it opens.</summary>
    private sealed class CountingRuntime : IInferenceRuntime
    {
        private int _opened;

        public int Opened => Volatile.Read(ref _opened);

        public IDeviceSession Open(byte[] model, DeviceSessionOptions options, Microsoft.Extensions.Logging.ILogger logger)
        {
            Interlocked.Increment(ref _opened);
            return OnnxInferenceRuntime.Instance.Open(model, options, logger);
        }
    }
}
