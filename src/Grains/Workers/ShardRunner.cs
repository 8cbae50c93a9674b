using System.Collections.Concurrent;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Runs one leased shard: reads each image, segments it on the worker's device, writes its files,
/// and says how each image fared. Several images are in flight at once so the device's batches
/// fill while others are read or written.
/// </summary>
public sealed class ShardRunner(EngineCache engines, IDatasetStorage storage, string silo)
{
    public async Task<ShardResult> RunAsync(ShardLease lease, string workerId, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        SegmentationEngine engine;
        try
        {
            engine = await engines.GetAsync(spec, cancellationToken);
        }
        catch (ModelException ex)
        {
            // A model that cannot load fails every image the same way; more tries would not help.
            return Result(lease, workerId, lease.Images.Select(name => Failure(name, ex.Message, retryable: false)), tiles: 0);
        }

        var results = new ConcurrentBag<ImageResult>();
        long tiles = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, engine.BatchSize * 2), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(lease.Images, parallel, async (name, ct) =>
        {
            var (result, imageTiles) = await RunImageAsync(engine, spec, name, ct);
            Interlocked.Add(ref tiles, imageTiles);
            results.Add(result);
        });

        return Result(lease, workerId, results, tiles);
    }

    private async Task<(ImageResult Result, int Tiles)> RunImageAsync(SegmentationEngine engine, JobSpec spec, string name, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        try
        {
            var bytes = await storage.ReadAsync(spec.Input, name, cancellationToken);
            var label = spec.Labels is null ? null : await storage.FindLabelAsync(spec.Labels, name, cancellationToken);
            var truth = label is { } found ? new GroundTruth(found.Name, found.Bytes) : null;
            var image = await engine.SegmentAsync(name, bytes, truth, cancellationToken);

            var mask = OutputNames.For(OutputNames.Masks, name);
            await storage.WriteAsync(spec.Output, mask, image.MaskPng, cancellationToken);
            if (image.ProbabilityPng is not null)
            {
                await storage.WriteAsync(spec.Output, OutputNames.For(OutputNames.Probabilities, name), image.ProbabilityPng, cancellationToken);
            }

            if (image.OverlayPng is not null)
            {
                await storage.WriteAsync(spec.Output, OutputNames.For(OutputNames.Overlays, name), image.OverlayPng, cancellationToken);
            }

            return (new ImageResult { Name = name, Summary = Summarise(image, mask, DateTimeOffset.UtcNow - started), Silo = silo }, image.Tiles);
        }
        catch (ImageRejectedException ex)
        {
            return (Failure(name, ex.Reason, retryable: false), 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // One image's trouble stays with that image: the rest of the shard goes on.
            return (Failure(name, ex.Message, retryable: !IsPermanent(ex)), 0);
        }
    }

    /// <summary>
    /// Failures another try cannot change: a name the output store refuses, a setting that does not
    /// fit. Everything else (storage, network, memory on a busy silo) may go well next time or elsewhere.
    /// </summary>
    private static bool IsPermanent(Exception ex) => ex is ArgumentException or FormatException or NotSupportedException;

    private static ImageResult Failure(string name, string reason, bool retryable) =>
        new() { Name = name, FailureReason = reason, Retryable = retryable };

    private static ShardResult Result(ShardLease lease, string workerId, IEnumerable<ImageResult> images, long tiles) => new()
    {
        JobId = lease.JobId,
        Lease = lease.Ref,
        WorkerId = workerId,
        Images = [.. images.OrderBy(i => i.Name, StringComparer.Ordinal)],
        Tiles = tiles,
    };

    private static ImageSummary Summarise(SegmentedImage image, string mask, TimeSpan elapsed) => new()
    {
        Width = image.Width,
        Height = image.Height,
        Tiles = image.Tiles,
        Mask = mask,
        Seconds = elapsed.TotalSeconds,
        Classes = [.. image.Summary.Classes.Select(c =>
        {
            var quality = image.Quality?.FirstOrDefault(q => q.ClassIndex == c.ClassIndex);
            return new ClassSummary
            {
                Class = c.ClassIndex,
                ForegroundFraction = c.ForegroundFraction,
                MeanProbability = c.MeanProbability,
                ObjectCount = c.ObjectCount,
                MeanObjectArea = c.MeanArea,
                LargestObjectArea = c.MaxArea,
                IoU = quality?.IoU,
                Dice = quality?.Dice,
            };
        })],
    };
}
