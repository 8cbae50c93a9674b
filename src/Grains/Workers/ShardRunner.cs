using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
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
public sealed partial class ShardRunner(
    EngineCache engines, IDatasetStorage storage, ClusterMetrics metrics, string silo, TimeSpan storageOutageTolerance, ILogger logger)
{
    private readonly string _device = engines.Device.ToString();

    private readonly RegionStitcher _stitcher = new(new MaskWriter(new OverlayOptions()), new ImageDecoder(new ImageDecoderOptions()));

    /// <summary>How long the oldest model run now going on the worker's device has been running.</summary>
    public TimeSpan LongestRun => engines.LongestRun;

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
            byte[] bytes;
            using (var stages = new ImageStages(_device))
            {
                stages.Enter(PipelineStage.BlobRead);
                var reading = Stopwatch.GetTimestamp();
                await using var stream = await storage.OpenReadAsync(spec.Input, name, cancellationToken);

                // The header first: an image too large for one worker is not read here at all.
                var info = SegmentationEngine.ReadInfo(name, stream);
                if (info.PixelCount > spec.RegionPixels && info.PixelCount <= spec.MaxPixels)
                {
                    // Too much for one worker to do alone in good time: the coordinator shares it out.
                    return (new ImageResult { Name = name, Oversized = new ImageSize(info.Width, info.Height, engine.TileSize), Silo = silo }, 0);
                }

                bytes = new byte[stream.Length];
                await stream.ReadExactlyAsync(bytes, cancellationToken);
                StageMetrics.RecordDuration(PipelineStage.BlobRead, _device, Stopwatch.GetElapsedTime(reading));
            }

            var image = await engine.SegmentAsync(name, bytes, await GroundTruthAsync(spec, name, cancellationToken), cancellationToken);
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

            metrics.ImageCompleted(_device);
            return (new ImageResult { Name = name, Summary = Summarise(image.Width, image.Height, image.Tiles, image.Summary, image.Quality, mask, DateTimeOffset.UtcNow - started), Silo = silo }, image.Tiles);
        }, cancellationToken);
    }

    /// <summary>
    /// Segments one band of a large image, streamed from storage, into a part in a scratch file that is
    /// then stored as it is read: neither the image nor the band is ever held whole.
    /// </summary>
    private Task<(ImageResult Result, int Tiles)> RunRegionAsync(SegmentationEngine engine, ShardLease lease, ImageRegion region, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        return Guard(region.Image, async () =>
        {
            Activity.Current?.SetTag("unetpp.region", $"{region.Index + 1} of {region.Count}");
            var truth = await GroundTruthAsync(spec, region.Image, cancellationToken);
            await using var image = await storage.OpenReadAsync(spec.Input, region.Image, cancellationToken);
            await using var part = ScratchFile.Create();
            var area = new PixelRect(region.X, region.Y, region.Width, region.Height);

            // Off the caller's thread: the image is decoded as it streams in, with blocking reads.
            var tiles = await Task.Run(() => engine.SegmentBandAsync(region.Image, image, area, truth, part, cancellationToken), cancellationToken);
            part.Position = 0;
            await WriteAsync(spec.Output, OutputNames.Part(lease.JobId, region.Image, region.Index), part, cancellationToken);
            return (new ImageResult { Name = region.Image, RegionStored = region.Index, Silo = silo }, tiles);
        }, cancellationToken);
    }

    /// <summary>
    /// Stitches a large image's bands in one pass: parts are read one after another, and the mask,
    /// probability map and overlay go to scratch files row by row, then to storage.
    /// </summary>
    private async Task<ImageResult> StitchAsync(ShardLease lease, ImageStitch stitch, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        var started = DateTimeOffset.UtcNow;
        var (result, _) = await Guard(stitch.Image, async () =>
        {
            await using var maskFile = ScratchFile.Create();
            await using var probabilityFile = spec.Probabilities ? ScratchFile.Create() : null;
            await using var overlayFile = spec.Overlays ? ScratchFile.Create() : null;
            await using var original = spec.Overlays ? await storage.OpenReadAsync(spec.Input, stitch.Image, cancellationToken) : null;
            var outputs = new StitchOutputs(maskFile, probabilityFile, overlayFile);
            var image = await Task.Run(() => _stitcher.StitchAsync(stitch.Image, stitch.Regions, OpenPartAsync, original, outputs, cancellationToken), cancellationToken);
            StageMetrics.RecordDuration(PipelineStage.Encode, _device, image.Times.Encode);

            var mask = OutputNames.For(OutputNames.Masks, stitch.Image);
            await WriteAsync(spec.Output, mask, Rewound(maskFile), cancellationToken);
            if (probabilityFile is not null)
            {
                await WriteAsync(spec.Output, OutputNames.For(OutputNames.Probabilities, stitch.Image), Rewound(probabilityFile), cancellationToken);
            }

            if (overlayFile is not null)
            {
                await WriteAsync(spec.Output, OutputNames.For(OutputNames.Overlays, stitch.Image), Rewound(overlayFile), cancellationToken);
            }

            metrics.ImageCompleted(_device);
            var summary = Summarise(image.Width, image.Height, image.Tiles, image.Summary, image.Quality, mask, DateTimeOffset.UtcNow - started);
            return (new ImageResult { Name = stitch.Image, Summary = summary, Silo = silo }, 0);
        }, cancellationToken);
        return result;

        Task<Stream> OpenPartAsync(int index, CancellationToken ct) =>
            storage.OpenReadAsync(spec.Output, OutputNames.Part(lease.JobId, stitch.Image, index), ct);
    }

    private static Stream Rewound(Stream stream)
    {
        stream.Position = 0;
        return stream;
    }

    private async Task<GroundTruth?> GroundTruthAsync(JobSpec spec, string name, CancellationToken cancellationToken) =>
        spec.Labels is not null && await storage.FindLabelAsync(spec.Labels, name, cancellationToken) is { } found
            ? new GroundTruth(found.Name, found.Bytes)
            : null;

    private Task WriteAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken) =>
        WriteAsync(() => storage.WriteAsync(location, name, bytes, cancellationToken));

    private Task WriteAsync(string location, string name, Stream content, CancellationToken cancellationToken) =>
        WriteAsync(() => storage.WriteAsync(location, name, content, cancellationToken));

    /// <summary>Writes an object as the blob_write stage: counted while in flight, and timed.</summary>
    private async Task WriteAsync(Func<Task> write)
    {
        using var stages = new ImageStages(_device);
        stages.Enter(PipelineStage.BlobWrite);
        var started = Stopwatch.GetTimestamp();
        await write();
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
        var backoff = new OutageBackoff(storageOutageTolerance, TimeProvider.System);
        while (true)
        {
            try
            {
                return await work();
            }
            catch (ImageRejectedException ex)
            {
                return Failed(span, name, ex.Reason, retryable: false, FailureKind.BadImage);
            }
            catch (Exception ex) when (StorageFaults.IsUnavailable(ex) && backoff.CanWait && !cancellationToken.IsCancellationRequested)
            {
                // Storage that does not answer is nobody's fault and usually passes: the image is
                // done again once it answers, without spending one of its tries.
                LogStorageUnavailable(logger, name, backoff.Pause.TotalSeconds, ex.Message);
                await backoff.WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return Failed(span, name, ex.Message, retryable: !IsPermanent(ex), Kind(ex));
            }
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

    private static ImageSummary Summarise(
        int width, int height, int tiles, ImageMaskSummary found, IReadOnlyList<ClassQuality>? quality, string mask, TimeSpan elapsed) => new()
    {
        Width = width,
        Height = height,
        Tiles = tiles,
        Mask = mask,
        Seconds = elapsed.TotalSeconds,
        Classes = [.. found.Classes.Select(c =>
        {
            var scores = quality?.FirstOrDefault(q => q.ClassIndex == c.ClassIndex);
            return new ClassSummary
            {
                Class = c.ClassIndex,
                ForegroundFraction = c.ForegroundFraction,
                MeanProbability = c.MeanProbability,
                ObjectCount = c.ObjectCount,
                MeanObjectArea = c.MeanArea,
                LargestObjectArea = c.MaxArea,
                IoU = scores?.IoU,
                Dice = scores?.Dice,
            };
        })],
    };

    // Logged in the device worker's category, whose ids start at 101 (DeviceWorker.cs).
    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "{Image}: storage did not answer ({Reason}); trying again in {Seconds} s.")]
    private static partial void LogStorageUnavailable(ILogger logger, string image, double seconds, string reason);
}
