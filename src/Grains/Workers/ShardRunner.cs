using System.Collections.Concurrent;
using System.Diagnostics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Regions;
using UNetPP.Cluster.Segmentation.Telemetry;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Runs one leased shard: reads each image, segments it on the worker's device, writes its files,
/// and says how each image fared. Several images are in flight at once so the device's batches
/// fill while others are read or written. A shard may instead be one region of a large image, or
/// the stitching of one. Each image is a span with its stages under it, and counts in the metrics.
/// </summary>
public sealed class ShardRunner(EngineCache engines, IDatasetStorage storage, ClusterMetrics metrics, string silo)
{
    private readonly string _device = engines.Device.ToString();

    private readonly ImageDecoder _previews = new(new ImageDecoderOptions());
    private readonly RegionStitcher _stitcher = new(new MaskWriter(new OverlayOptions()));

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
            metrics.ImageFailed(_device, FailureKind.Model, lease.Images.Count);
            return Result(lease, workerId, lease.Images.Select(name => Failure(name, ex.Message, retryable: false)), tiles: 0);
        }

        if (lease.Region is { } region)
        {
            var (regionResult, regionTiles) = await RunRegionAsync(engine, lease, region, cancellationToken);
            return Result(lease, workerId, [regionResult], regionTiles);
        }

        if (lease.Stitch is { } stitch)
        {
            return Result(lease, workerId, [await StitchAsync(lease, stitch, cancellationToken)], tiles: 0);
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
        return await Guard(name, async () =>
        {
            var bytes = await ReadAsync(spec.Input, name, cancellationToken);
            var info = SegmentationEngine.ReadInfo(name, bytes);
            if (info.PixelCount > spec.RegionPixels && info.PixelCount <= spec.MaxPixels)
            {
                // Too much for one worker to do alone in good time: the coordinator shares it out.
                return (new ImageResult { Name = name, Oversized = new ImageSize(info.Width, info.Height, engine.TileSize), Silo = silo }, 0);
            }

            var image = await engine.SegmentAsync(name, bytes, await GroundTruthAsync(spec, name, cancellationToken), cancellationToken);
            var mask = await WriteFilesAsync(spec, name, image, cancellationToken);
            metrics.ImageCompleted(_device);
            return (new ImageResult { Name = name, Summary = Summarise(image, mask, DateTimeOffset.UtcNow - started), Silo = silo }, image.Tiles);
        }, cancellationToken);
    }

    private Task<(ImageResult Result, int Tiles)> RunRegionAsync(SegmentationEngine engine, ShardLease lease, ImageRegion region, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        return Guard(region.Image, async () =>
        {
            Activity.Current?.SetTag("unetpp.region", $"{region.Index + 1} of {region.Count}");
            var bytes = await ReadAsync(spec.Input, region.Image, cancellationToken);
            var area = new PixelRect(region.X, region.Y, region.Width, region.Height);
            var part = await engine.SegmentRegionAsync(region.Image, bytes, area, await GroundTruthAsync(spec, region.Image, cancellationToken), cancellationToken);
            await WriteAsync(spec.Output, OutputNames.Part(lease.JobId, region.Image, region.Index), part.Encode(), cancellationToken);
            return (new ImageResult { Name = region.Image, RegionStored = region.Index, Silo = silo }, part.Tiles);
        }, cancellationToken);
    }

    private async Task<ImageResult> StitchAsync(ShardLease lease, ImageStitch stitch, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        var started = DateTimeOffset.UtcNow;
        var (result, _) = await Guard(stitch.Image, async () =>
        {
            var parts = new List<RegionPart>();
            for (var index = 0; index < stitch.Regions; index++)
            {
                var name = OutputNames.Part(lease.JobId, stitch.Image, index);
                try
                {
                    parts.Add(RegionPart.Decode(await ReadAsync(spec.Output, name, cancellationToken)));
                }
                catch (InvalidDataException ex)
                {
                    throw new InvalidDataException($"{name}: {ex.Message}", ex);
                }
            }

            var preview = spec.Overlays ? _previews.DecodePreview(stitch.Image, await ReadAsync(spec.Input, stitch.Image, cancellationToken)) : null;
            var image = _stitcher.Stitch(stitch.Image, parts, preview);
            StageMetrics.RecordDuration(PipelineStage.PostProcess, _device, image.Times.PostProcess);
            StageMetrics.RecordDuration(PipelineStage.Encode, _device, image.Times.Encode);
            var mask = await WriteFilesAsync(spec, stitch.Image, image, cancellationToken);
            metrics.ImageCompleted(_device);
            return (new ImageResult { Name = stitch.Image, Summary = Summarise(image, mask, DateTimeOffset.UtcNow - started), Silo = silo }, 0);
        }, cancellationToken);
        return result;
    }

    private async Task<GroundTruth?> GroundTruthAsync(JobSpec spec, string name, CancellationToken cancellationToken) =>
        spec.Labels is not null && await storage.FindLabelAsync(spec.Labels, name, cancellationToken) is { } found
            ? new GroundTruth(found.Name, found.Bytes)
            : null;

    /// <summary>Writes the image's files; the mask's name under the output is returned for the summary.</summary>
    private async Task<string> WriteFilesAsync(JobSpec spec, string name, SegmentedImage image, CancellationToken cancellationToken)
    {
        var mask = OutputNames.For(OutputNames.Masks, name);
        await WriteAsync(spec.Output, mask, image.MaskPng, cancellationToken);
        if (image.ProbabilityPng is not null)
        {
            await WriteAsync(spec.Output, OutputNames.For(OutputNames.Probabilities, name), image.ProbabilityPng, cancellationToken);
        }

        if (image.OverlayPng is not null)
        {
            await WriteAsync(spec.Output, OutputNames.For(OutputNames.Overlays, name), image.OverlayPng, cancellationToken);
        }

        return mask;
    }

    /// <summary>Reads an object as the blob_read stage: counted while in flight, timed, and a span of its own.</summary>
    private async Task<byte[]> ReadAsync(string location, string name, CancellationToken cancellationToken)
    {
        using var stages = new ImageStages(_device);
        stages.Enter(PipelineStage.BlobRead);
        var started = Stopwatch.GetTimestamp();
        var bytes = await storage.ReadAsync(location, name, cancellationToken);
        StageMetrics.RecordDuration(PipelineStage.BlobRead, _device, Stopwatch.GetElapsedTime(started));
        return bytes;
    }

    private async Task WriteAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken)
    {
        using var stages = new ImageStages(_device);
        stages.Enter(PipelineStage.BlobWrite);
        var started = Stopwatch.GetTimestamp();
        await storage.WriteAsync(location, name, bytes, cancellationToken);
        StageMetrics.RecordDuration(PipelineStage.BlobWrite, _device, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Runs one image's work as its own span, and turns its trouble into its failed result (counted
    /// by reason), so the rest of the shard goes on.
    /// </summary>
    private async Task<(ImageResult Result, int Tiles)> Guard(string name, Func<Task<(ImageResult, int)>> work, CancellationToken cancellationToken)
    {
        using var span = ClusterTelemetry.Traces.StartActivity("image");
        span?.SetTag("unetpp.image", name);
        try
        {
            return await work();
        }
        catch (ImageRejectedException ex)
        {
            return Failed(span, name, ex.Reason, retryable: false, FailureKind.BadImage);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Failed(span, name, ex.Message, retryable: !IsPermanent(ex), Kind(ex));
        }
    }

    private (ImageResult, int) Failed(Activity? span, string name, string reason, bool retryable, string kind)
    {
        span?.SetStatus(ActivityStatusCode.Error, reason);
        metrics.ImageFailed(_device, kind);
        return (Failure(name, reason, retryable), 0);
    }

    private static string Kind(Exception ex) => ex switch
    {
        ModelException => FailureKind.Model,
        Azure.RequestFailedException or IOException or UnauthorizedAccessException or StorageObjectNotFoundException
            or HttpRequestException or TimeoutException => FailureKind.Storage,
        _ => FailureKind.Other,
    };

    /// <summary>
    /// Failures another try cannot change: a name the output store refuses, a setting that does not
    /// fit, a region part that is missing or damaged. Everything else (storage, network, memory on a
    /// busy silo) may go well next time or elsewhere.
    /// </summary>
    private static bool IsPermanent(Exception ex) =>
        ex is ArgumentException or FormatException or NotSupportedException or InvalidDataException or StorageObjectNotFoundException;

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
