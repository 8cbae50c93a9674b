using System.Collections.Concurrent;
using System.Diagnostics;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation;

namespace UNetPP.Cluster.Client;

/// <summary>What a run tells whoever is watching, one image at a time.</summary>
internal interface IRunProgress
{
    void ImageFinished(SegmentedImage image);

    void ImageFailed(string name, string reason);
}

/// <summary>
/// Segments every image of a local dataset with one engine and writes masks, previews and the
/// report under the output folder. Several images are in flight at once so that their tiles fill
/// the device's batches while others are being decoded or written. A bad image is recorded with
/// its reason and the rest go on; every file is written whole or not at all.
/// </summary>
internal sealed class DatasetRun(SegmentationEngine engine, string outputRoot, string? labelsRoot, IRunProgress progress)
{
    private const string MaskFolder = "masks";
    private const string ProbabilityFolder = "probabilities";
    private const string OverlayFolder = "overlays";
    public const string ReportName = "report.json";

    public async Task<JobReport> RunAsync(string input, LocalDataset dataset, int imagesInFlight, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var results = new ConcurrentDictionary<string, ImageReport>(StringComparer.Ordinal);
        var failures = new ConcurrentDictionary<string, ImageFailure>(StringComparer.Ordinal);
        var qualities = new ConcurrentBag<ClassQuality>();
        long readTicks = 0, writeTicks = 0;
        var stages = StageTimes.Zero;
        var stagesGate = new object();

        var owners = ClaimOutputNames(dataset, failures);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = imagesInFlight, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(owners, parallel, async (image, ct) =>
        {
            var imageClock = Stopwatch.StartNew();
            try
            {
                var bytes = await File.ReadAllBytesAsync(image.Path, ct);
                var truth = await ReadGroundTruthAsync(image, ct);
                Interlocked.Add(ref readTicks, imageClock.Elapsed.Ticks);

                var segmented = await engine.SegmentAsync(image.Name, bytes, truth, ct);
                var writeStart = Stopwatch.GetTimestamp();
                var maskPath = Write(MaskFolder, image.Name, segmented.MaskPng);
                Write(ProbabilityFolder, image.Name, segmented.ProbabilityPng);
                Write(OverlayFolder, image.Name, segmented.OverlayPng);
                Interlocked.Add(ref writeTicks, Stopwatch.GetElapsedTime(writeStart).Ticks);

                lock (stagesGate)
                {
                    stages = stages.Add(segmented.Times);
                }

                foreach (var quality in segmented.Quality ?? [])
                {
                    qualities.Add(quality);
                }

                results[image.Name] = ToReport(segmented, maskPath, imageClock.Elapsed);
                progress.ImageFinished(segmented);
            }
            catch (Exception ex) when (IsImageFailure(ex))
            {
                var reason = ex is ImageRejectedException rejected ? rejected.Reason : ex.Message;
                failures[image.Name] = new ImageFailure(image.Name, reason);
                progress.ImageFailed(image.Name, reason);
            }
        });

        var seconds = clock.Elapsed.TotalSeconds;
        var batching = engine.Batching;
        var done = results.Count;
        var report = new JobReport(
            input,
            outputRoot,
            new ReportModel(engine.Model.Path, engine.Model.Card.Architecture, engine.Model.Card.Filters, engine.Mode.ToName(), engine.TileSize,
                engine.Overlap, engine.BatchSize),
            engine.Device.ToString(),
            started,
            DateTimeOffset.UtcNow,
            new ReportCounts(dataset.Images.Count, done, failures.Count),
            new ReportThroughput(seconds, done / seconds, batching.Tiles / seconds, batching.Tiles, batching.Batches, batching.MeanBatchFill),
            new ReportStageSeconds(
                TimeSpan.FromTicks(readTicks).TotalSeconds, stages.Decode.TotalSeconds, stages.Infer.TotalSeconds, stages.Blend.TotalSeconds,
                stages.PostProcess.TotalSeconds, stages.Encode.TotalSeconds, TimeSpan.FromTicks(writeTicks).TotalSeconds),
            qualities.IsEmpty ? null : new ReportQuality(results.Values.Count(r => r.Classes.Any(c => c.IoU is not null)),
                qualities.Average(q => q.IoU), qualities.Average(q => q.Dice)),
            [.. results.Values.OrderBy(r => r.Name, StringComparer.Ordinal)],
            [.. failures.Values.OrderBy(f => f.Name, StringComparer.Ordinal)]);

        AtomicFile.Write(Path.Combine(outputRoot, ReportName), System.Text.Encoding.UTF8.GetBytes(report.ToJson()));
        return report;
    }

    /// <summary>
    /// Two inputs whose outputs would share a name (<c>a.png</c> and <c>a.tif</c>) cannot both be
    /// written; the first in name order keeps it and the other fails with the reason.
    /// </summary>
    private static List<DatasetImage> ClaimOutputNames(LocalDataset dataset, ConcurrentDictionary<string, ImageFailure> failures)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var claimed = new List<DatasetImage>();
        foreach (var image in dataset.Images)
        {
            var output = LocalDataset.OutputName(image.Name);
            if (owners.TryGetValue(output, out var owner))
            {
                failures[image.Name] = new ImageFailure(image.Name, $"its mask name {output} is already taken by {owner}");
                continue;
            }

            owners[output] = image.Name;
            claimed.Add(image);
        }

        return claimed;
    }

    private async Task<GroundTruth?> ReadGroundTruthAsync(DatasetImage image, CancellationToken cancellationToken)
    {
        if (labelsRoot is null || LocalDataset.FindLabel(labelsRoot, image.Name) is not { } path)
        {
            return null;
        }

        return new GroundTruth(Path.GetRelativePath(labelsRoot, path), await File.ReadAllBytesAsync(path, cancellationToken));
    }

    private string Write(string folder, string imageName, byte[]? bytes)
    {
        var relative = Path.Combine(folder, LocalDataset.OutputName(imageName));
        if (bytes is not null)
        {
            var path = Path.Combine(outputRoot, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.Write(path, bytes);
        }

        return relative.Replace('\\', '/');
    }

    private static ImageReport ToReport(SegmentedImage image, string maskPath, TimeSpan elapsed) => new(
        image.Name,
        maskPath,
        image.Width,
        image.Height,
        image.Tiles,
        [.. image.Summary.Classes.Select(c =>
        {
            var quality = image.Quality?.FirstOrDefault(q => q.ClassIndex == c.ClassIndex);
            return new ClassReport(c.ClassIndex, c.ForegroundFraction, c.MeanProbability, c.ObjectCount, c.MeanArea, c.MaxArea, quality?.IoU, quality?.Dice);
        })],
        elapsed.TotalSeconds);

    /// <summary>Failures that belong to one image (its bytes, its file, its ground truth), as opposed to the whole run.</summary>
    private static bool IsImageFailure(Exception ex) =>
        ex is ImageRejectedException or IOException or UnauthorizedAccessException;
}
