using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// One device's engines, one per model and way of running it, built on first use and kept while
/// the worker lives: opening a session costs far more than a shard. Each opens its model through
/// <paramref name="runtime"/>.
/// </summary>
public sealed class EngineCache(InferenceDevice device, WorkerOptions options, IInferenceRuntime runtime, IDatasetStorage storage, ILogger logger) : IDisposable
{
    private readonly ConcurrentDictionary<EngineKey, Lazy<Task<SegmentationEngine>>> _engines = new();

    /// <summary>The device every engine here runs on, as settled when the silo started.</summary>
    public InferenceDevice Device => device;

    /// <summary>How long the oldest model run now going on this device, in any of its engines, has been running.</summary>
    public TimeSpan LongestRun =>
        _engines.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully)
            .Select(l => l.Value.Result.LongestRun).DefaultIfEmpty(TimeSpan.Zero).Max();

    public Task<SegmentationEngine> GetAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        var key = new EngineKey(spec.Model, spec.Mode.ToUpperInvariant(), spec.TileSize, spec.Overlap, spec.BatchSize ?? options.BatchSize,
            spec.Probabilities, spec.Overlays, spec.MaxPixels, spec.Tta, spec.Normalize, spec.Channels, MaskFormats.Of(spec.MaskFormat),
            spec.FindsObjects ? new ObjectOutputs(spec.Instances, spec.Objects, spec.GeoJson, spec.MinObjectSize) : null);
        var lazy = _engines.GetOrAdd(key, NewBuild);

        // A failed build (a model that would not load, a read that timed out) is not kept: this shard tries again.
        if (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
        {
            _engines.TryRemove(new KeyValuePair<EngineKey, Lazy<Task<SegmentationEngine>>>(key, lazy));
            lazy = _engines.GetOrAdd(key, NewBuild);
        }

        // The build is shared by every shard that needs the engine, so the shard that started it being
        // stopped must not cancel it: each caller stops waiting on its own token instead.
        return lazy.Value.WaitAsync(cancellationToken);
    }

    private Lazy<Task<SegmentationEngine>> NewBuild(EngineKey key) => new(() => CreateAsync(key));

    public void Dispose()
    {
        // An engine still being built is disposed as soon as it is ready, so none outlives the worker.
        foreach (var lazy in _engines.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }

        _engines.Clear();
    }

    private async Task<SegmentationEngine> CreateAsync(EngineKey key)
    {
        var model = await LoadModelAsync(key.Model, CancellationToken.None);
        var segmentation = new SegmentationOptions
        {
            Mode = InferenceModes.Parse(key.Mode),
            TileSize = key.TileSize,
            Overlap = key.Overlap,
            BatchSize = key.BatchSize,
            InFlightBatches = options.InFlightBatches,
            Device = options.SessionOn(device),
            MaxPixels = key.MaxPixels,
            Probabilities = key.Probabilities,
            Overlays = key.Overlays,
            Tta = key.Tta,
            Normalize = key.Normalize is null ? null : NormalizationChoice.Parse(key.Normalize),
            Channels = key.Channels is null ? null : ChannelChoice.Parse(key.Channels),
            MaskFormat = key.MaskFormat,
            Objects = key.Objects,
        };
        return await Task.Run(() => SegmentationEngine.Create(model, segmentation, logger, runtime));
    }

    /// <summary>Local files load in place (their sidecar card with them); blobs are downloaded once into the model cache.</summary>
    private async Task<LoadedModel> LoadModelAsync(string? location, CancellationToken cancellationToken)
    {
        if (location is null)
        {
            return DefaultModel.Load();
        }

        if (!location.Contains("://", StringComparison.Ordinal) || location.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            return ModelFile.Load(location.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(location).LocalPath : location);
        }

        var bytes = await storage.ReadObjectAsync(location, cancellationToken);
        var folder = Directory.CreateDirectory(options.ModelCache).FullName;
        var name = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(location)))[..16] + ".onnx";
        var path = Path.Combine(folder, name);
        Segmentation.AtomicFile.Write(path, bytes);
        var card = await storage.TryReadObjectAsync(location + ".card.json", cancellationToken);
        if (card is not null)
        {
            Segmentation.AtomicFile.Write(path + ".card.json", card);
        }

        return ModelFile.Load(path) with { Path = location };
    }

    private sealed record EngineKey(string? Model, string Mode, int? TileSize, double Overlap, int BatchSize, bool Probabilities, bool Overlays, long MaxPixels, bool Tta, string? Normalize, string? Channels, MaskFormat MaskFormat, ObjectOutputs? Objects);
}
