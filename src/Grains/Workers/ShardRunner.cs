using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Bands;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Runs one leased shard on the worker's device with the runner of its kind (whole images, a band,
/// a stitch) and says how each of its images fared. Each image is a span with its stages under it,
/// and counts in the metrics.
/// </summary>
public sealed class ShardRunner
{
    private readonly EngineCache _engines;
    private readonly ClusterMetrics _metrics;
    private readonly string _device;
    private readonly ImagesRunner _images;
    private readonly BandRunner _bands;
    private readonly StitchRunner _stitches;

    public ShardRunner(EngineCache engines, IDatasetStorage storage, ClusterMetrics metrics, string silo, TimeSpan storageOutageTolerance, ILogger logger)
    {
        _engines = engines;
        _metrics = metrics;
        _device = engines.Device.ToString();
        var files = new ShardFiles(storage, _device);
        var manifests = new ImageManifests(storage);
        var attempt = new ImageAttempt(metrics, _device, storageOutageTolerance, logger);
        _images = new ImagesRunner(files, manifests, attempt, metrics, _device, silo, logger);
        _bands = new BandRunner(files, attempt, silo);
        _stitches = new StitchRunner(files, manifests, attempt, metrics, _device, silo, logger);
    }

    /// <summary>How long the oldest model run now going on the worker's device has been running.</summary>
    public TimeSpan LongestRun => _engines.LongestRun;

    /// <param name="stopping">Set when the shard's job has been cancelled: whole images not started by then are left.</param>
    public async Task<ShardResult> RunAsync(ShardLease lease, string workerId, CancellationToken stopping, CancellationToken cancellationToken)
    {
        // An image's time runs from here, its shard's lease, so a first shard's engine build counts too.
        var leased = DateTimeOffset.UtcNow;
        SegmentationEngine engine;
        try
        {
            engine = await _engines.GetAsync(lease.Spec, cancellationToken);
        }
        catch (ModelException ex)
        {
            // A model that cannot load fails every image the same way; more tries would not help.
            _metrics.ImageFailed(_device, FailureKind.Model, lease.Images.Count);
            return Result(lease, workerId, [.. lease.Images.Select(name => ImageAttempt.Failure(name, ex.Message, retryable: false))], tiles: 0, engine: null);
        }

        switch (lease.Work)
        {
            case ImagesWork images:
                var (results, tiles) = await _images.RunAsync(engine, lease, images, leased, stopping, cancellationToken);
                return Result(lease, workerId, results, tiles, engine);
            case BandWork band:
                var (stored, bandTiles) = await _bands.RunAsync(engine, lease, band, leased, cancellationToken);
                return Result(lease, workerId, [stored], bandTiles, engine);
            case StitchWork stitch:
                return Result(lease, workerId, [await _stitches.RunAsync(engine, lease, stitch, leased, cancellationToken)], tiles: 0, engine);
            default:
                throw new InvalidOperationException($"shard {lease.Ref.Shard} of job {lease.JobId} is of an unknown kind ({lease.Work.GetType().Name})");
        }
    }

    private static ShardResult Result(ShardLease lease, string workerId, IEnumerable<ImageResult> images, long tiles, SegmentationEngine? engine) => new()
    {
        JobId = lease.JobId,
        Lease = lease.Ref,
        WorkerId = workerId,
        Images = [.. images.OrderBy(i => i.Name, StringComparer.Ordinal)],
        Tiles = tiles,
        Engine = engine is null ? null : new EngineRun(engine.Device.ToString(), engine.TileSize, engine.BatchSize, engine.Model.Sha256),
    };
}
