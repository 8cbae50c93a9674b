using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Runs a shard of whole images: reads each, segments it on the worker's device and writes its
/// files. Several images are in flight at once so the device's batches fill while others are read
/// or written. An image found above the job's band threshold is left for the band path, a file of
/// several planes to be added plane by plane (each plane's name says which: x.tif#z3). A job that
/// continues an earlier one's output skips the images whose manifests say their outputs are current.
/// Every image's manifest is removed before its outputs are written and written after them.
/// </summary>
public sealed partial class ImagesRunner(ShardFiles files, ImageManifests manifests, ImageAttempt attempt, ClusterMetrics metrics, string device, string silo, ILogger logger)
{
    /// <param name="leased">When the shard was leased: each image's time runs from then to its outputs written.</param>
    /// <param name="stopping">Set when the job has been cancelled: images not started by then are not started.</param>
    /// <returns>Each image's result, and the grid tiles segmented; an image not started has none.</returns>
    public async Task<(IReadOnlyCollection<ImageResult> Results, long Tiles)> RunAsync(
        SegmentationEngine engine, ShardLease lease, ImagesWork work, DateTimeOffset leased, CancellationToken stopping, CancellationToken cancellationToken)
    {
        var results = new ConcurrentBag<ImageResult>();
        long tiles = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, engine.BatchSize * 2), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(work.Names, parallel, async (name, ct) =>
        {
            // A cancelled job's images already going are finished and counted; no new one starts.
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            var (result, imageTiles) = await attempt.RunAsync(name, () => SegmentAsync(engine, lease, work, name, leased, ct), ct);
            Interlocked.Add(ref tiles, imageTiles);
            results.Add(result);
        });

        return (results, tiles);
    }

    private async Task<(ImageResult, int)> SegmentAsync(SegmentationEngine engine, ShardLease lease, ImagesWork work, string name, DateTimeOffset leased, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        byte[] bytes;
        string? redone = null;
        using (var stages = new ImageStages(device))
        {
            stages.Enter(PipelineStage.BlobRead);
            var reading = Stopwatch.GetTimestamp();
            await using var stream = await files.Storage.OpenReadAsync(spec.Input, ImagePlane.FileOf(name), cancellationToken);
            if (ImagePlane.Parse(name) is null && SegmentationEngine.ReadPlanes(name, stream) is { Count: > 0 } planes)
            {
                // Each chosen plane becomes an image of its own, judged, segmented and named on its own.
                var chosen = PageChoice.Parse(spec.Pages ?? PageChoice.All).Select(name, planes);
                return (new ImageHasPlanes { Name = name, Planes = [.. chosen.Select(plane => new ImagePlane(name, plane).ToString())], Silo = silo }, 0);
            }

            if (spec.Continues)
            {
                // Before the header: a large image done by an earlier job is skipped here, not cut into bands again.
                switch (await manifests.JudgeAsync(spec, work, name, stream, engine.Model.Sha256, engine.TileSize, cancellationToken))
                {
                    case ResumeVerdict.Skip skip:
                        return (new ImageSkipped { Name = name, Summary = skip.Manifest.Summary, MadeBy = skip.Manifest.Job, Silo = silo }, 0);
                    case ResumeVerdict.LeaveOut leave:
                        return (new ImageLeftOut { Name = name, Reason = leave.Why, Silo = silo }, 0);
                    case ResumeVerdict.Redo redo:
                        redone = redo.Why;
                        break;
                }
            }

            // The header first: an image too large for one worker is not read here at all.
            var info = SegmentationEngine.ReadInfo(name, stream);
            if (info.PixelCount > spec.RegionPixels && info.PixelCount <= spec.MaxPixels)
            {
                // Too much for one worker to do alone in good time: the coordinator shares it out in bands,
                // with the whole image's normalisation measured here once rather than by every band.
                var intensity = await Task.Run(() => engine.MeasureIntensity(name, stream), cancellationToken);
                return (new ImageOversized
                {
                    Name = name,
                    Size = new ImageSize(info.Width, info.Height, engine.TileSize),
                    Intensity = intensity is { } m ? new ImageIntensity(m.Offset, m.Divisor) : null,
                    Silo = silo,
                }, 0);
            }

            bytes = new byte[stream.Length];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
            StageMetrics.RecordDuration(PipelineStage.BlobRead, device, Stopwatch.GetElapsedTime(reading));
        }

        var image = await engine.SegmentAsync(name, bytes, await files.GroundTruthAsync(spec, name, cancellationToken), cancellationToken);
        await manifests.RemoveAsync(spec.Output, name, cancellationToken);
        var outputs = new Dictionary<string, long>(StringComparer.Ordinal);
        var mask = OutputNames.For(OutputNames.Masks, name, engine.MaskFormat);
        await WriteAsync(mask, image.MaskFile);
        if (image.ProbabilityFile is not null)
        {
            await WriteAsync(OutputNames.For(OutputNames.Probabilities, name, engine.MaskFormat), image.ProbabilityFile);
        }

        if (image.OverlayPng is not null)
        {
            await WriteAsync(OutputNames.For(OutputNames.Overlays, name), image.OverlayPng);
        }

        if (image.Objects is { } objects)
        {
            await WriteObjectsAsync(objects);
        }

        metrics.ImageCompleted(device);
        var summary = ImageSummaries.Of(image.Width, image.Height, image.Tiles, image.Summary, image.Quality, mask, DateTimeOffset.UtcNow - leased)
            .With(image.TruthKind, image.Objects?.Found.Scores) with
            {
                Warning = image.Warning,
                LabelImage = image.Objects?.Labels is null ? null : OutputNames.InstancesOf(image.Objects.Found.LabelFile),
            };
        if (image.Warning is { } warning)
        {
            LogImageWarning(logger, name, warning);
        }

        var (inputBytes, inputSha) = (bytes.LongLength, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        await manifests.WriteAsync(spec.Output, ImageManifests.Describe(spec, name, inputBytes, inputSha, engine, outputs, summary, lease.JobId), cancellationToken);
        return (new ImageSegmented { Name = name, Summary = summary, Silo = silo, Redone = redone }, image.Tiles);

        async Task WriteObjectsAsync(ObjectFiles objects)
        {
            if (objects.Labels is { } labels)
            {
                await WriteAsync(OutputNames.InstancesOf(objects.Found.LabelFile), labels);
            }

            if (objects.Table is { } table)
            {
                await WriteAsync(OutputNames.ObjectPartOf(name), table);
            }

            if (objects.GeoJson is { } geoJson)
            {
                await WriteAsync(OutputNames.GeoJsonOf(name), geoJson);
            }
        }

        async Task WriteAsync(string output, byte[] content)
        {
            await files.WriteAsync(spec.Output, output, content, cancellationToken);
            outputs[output] = content.LongLength;
        }
    }

    // Logged in the device worker's category, whose ids start at 101 (DeviceWorker.Log.cs).
    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "{Image}: {Warning}.")]
    internal static partial void LogImageWarning(ILogger logger, string image, string warning);
}
