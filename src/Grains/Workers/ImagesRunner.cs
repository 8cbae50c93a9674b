using System.Collections.Concurrent;
using System.Diagnostics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Runs a shard of whole images: reads each, segments it on the worker's device and writes its
/// files. Several images are in flight at once so the device's batches fill while others are read
/// or written. An image found above the job's band threshold is left for the band path.
/// </summary>
public sealed class ImagesRunner(ShardFiles files, ImageAttempt attempt, ClusterMetrics metrics, string device, string silo)
{
    /// <returns>Each image's result, and the grid tiles segmented.</returns>
    public async Task<(IReadOnlyCollection<ImageResult> Results, long Tiles)> RunAsync(
        SegmentationEngine engine, JobSpec spec, ImagesWork work, CancellationToken cancellationToken)
    {
        var results = new ConcurrentBag<ImageResult>();
        long tiles = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, engine.BatchSize * 2), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(work.Names, parallel, async (name, ct) =>
        {
            var started = DateTimeOffset.UtcNow;
            var (result, imageTiles) = await attempt.RunAsync(name, () => SegmentAsync(engine, spec, name, started, ct), ct);
            Interlocked.Add(ref tiles, imageTiles);
            results.Add(result);
        });

        return (results, tiles);
    }

    private async Task<(ImageResult, int)> SegmentAsync(SegmentationEngine engine, JobSpec spec, string name, DateTimeOffset started, CancellationToken cancellationToken)
    {
        byte[] bytes;
        using (var stages = new ImageStages(device))
        {
            stages.Enter(PipelineStage.BlobRead);
            var reading = Stopwatch.GetTimestamp();
            await using var stream = await files.Storage.OpenReadAsync(spec.Input, name, cancellationToken);

            // The header first: an image too large for one worker is not read here at all.
            var info = SegmentationEngine.ReadInfo(name, stream);
            if (info.PixelCount > spec.RegionPixels && info.PixelCount <= spec.MaxPixels)
            {
                // Too much for one worker to do alone in good time: the coordinator shares it out in bands.
                return (new ImageOversized { Name = name, Size = new ImageSize(info.Width, info.Height, engine.TileSize), Silo = silo }, 0);
            }

            bytes = new byte[stream.Length];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
            StageMetrics.RecordDuration(PipelineStage.BlobRead, device, Stopwatch.GetElapsedTime(reading));
        }

        var image = await engine.SegmentAsync(name, bytes, await files.GroundTruthAsync(spec, name, cancellationToken), cancellationToken);
        var mask = OutputNames.For(OutputNames.Masks, name);
        await files.WriteAsync(spec.Output, mask, image.MaskPng, cancellationToken);
        if (image.ProbabilityPng is not null)
        {
            await files.WriteAsync(spec.Output, OutputNames.For(OutputNames.Probabilities, name), image.ProbabilityPng, cancellationToken);
        }

        if (image.OverlayPng is not null)
        {
            await files.WriteAsync(spec.Output, OutputNames.For(OutputNames.Overlays, name), image.OverlayPng, cancellationToken);
        }

        metrics.ImageCompleted(device);
        var summary = ImageSummaries.Of(image.Width, image.Height, image.Tiles, image.Summary, image.Quality, mask, DateTimeOffset.UtcNow - started);
        return (new ImageSegmented { Name = name, Summary = summary, Silo = silo }, image.Tiles);
    }
}
