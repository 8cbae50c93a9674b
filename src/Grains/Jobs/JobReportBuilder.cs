using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>Turns a job's record and its pages' outcomes into its report.</summary>
public static class JobReportBuilder
{
    public static JobReport Build(string jobId, JobRecord job, IReadOnlyList<PageOutcome> pages, DateTimeOffset now)
    {
        var spec = job.Spec!;
        var seconds = ((job.Finished ?? now) - (job.Started ?? now)).TotalSeconds;
        var tiles = job.Pages.Sum(p => p.Tiles);
        var skipped = Merge(pages, p => p.Skipped);
        var images = pages.SelectMany(p => p.Segmented)
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => new ImageReport(
                pair.Key,
                pair.Value.Mask,
                pair.Value.Width,
                pair.Value.Height,
                pair.Value.Tiles,
                pair.Value.Classes,
                pair.Value.Seconds,
                skipped.GetValueOrDefault(pair.Key),
                pair.Value.Warning,
                pair.Value.Instances,
                pair.Value.Labels,
                pair.Value.LabelImage))
            .ToList();
        var failures = pages.SelectMany(p => p.Failures).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        var silos = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (silo, count) in job.Pages.SelectMany(p => p.ImagesBySilo))
        {
            silos[silo] = silos.GetValueOrDefault(silo) + count;
        }

        var engines = Merge(pages, p => p.EnginesBySilo);
        var leftOut = Merge(pages, p => p.LeftOut);
        var segmented = images.Count - skipped.Count;
        var scored = images.SelectMany(i => i.Classes).Where(c => c.IoU is not null).ToList();
        return new JobReport(
            jobId,
            job.State,
            spec.Input,
            spec.Output,
            new ReportModel(
                spec.Model ?? DefaultModel.Name,
                spec.Mode,
                engines.Values.Select(e => (int?)e.TileSize).FirstOrDefault() ?? spec.TileSize,
                spec.Overlap,
                engines.Values.Select(e => (int?)e.BatchSize).Max() ?? spec.BatchSize,
                spec.Tta,
                engines.Values.Select(e => e.ModelSha256).FirstOrDefault(sha => sha.Length > 0)),
            job.Started,
            job.Finished,
            new ReportCounts(job.Total + job.Pages.Sum(p => p.AddedImages), images.Count, failures.Count, skipped.Count, leftOut.Count),
            new ReportThroughput(seconds, seconds > 0 ? segmented / seconds : 0, seconds > 0 ? tiles / seconds : 0, tiles),
            scored.Count == 0
                ? null
                : new ReportQuality(images.Count(i => i.Classes.Any(c => c.IoU is not null)), scored.Average(c => c.IoU!.Value), scored.Average(c => c.Dice!.Value)),
            silos,
            images,
            failures,
            ToolVersion.Current,
            [.. engines.Select(pair => new ReportSilo(pair.Key, silos.GetValueOrDefault(pair.Key), pair.Value.Device, pair.Value.TileSize, pair.Value.BatchSize))],
            spec.Continues ? Resume(job, skipped, Merge(pages, p => p.Redone), leftOut) : null,
            InstanceQualities.Combine(images.Select(i => i.Instances).OfType<InstanceQuality>()));
    }

    private static ReportResume Resume(JobRecord job, IReadOnlyDictionary<string, string> skipped, IReadOnlyDictionary<string, string> redone, IReadOnlyDictionary<string, string> leftOut) => new(
        job.Previous,
        [.. skipped.Select(pair => new ReportNote(pair.Key, $"outputs complete and made from the same input, model and options by job {pair.Value}"))],
        [.. redone.Select(pair => new ReportNote(pair.Key, pair.Value))],
        [.. leftOut.Select(pair => new ReportNote(pair.Key, pair.Value))]);

    /// <summary>One of the pages' dictionaries as one, by name.</summary>
    private static SortedDictionary<string, T> Merge<T>(IEnumerable<PageOutcome> pages, Func<PageOutcome, IReadOnlyDictionary<string, T>> part)
    {
        var merged = new SortedDictionary<string, T>(StringComparer.Ordinal);
        foreach (var (name, value) in pages.SelectMany(part))
        {
            merged[name] = value;
        }

        return merged;
    }
}
