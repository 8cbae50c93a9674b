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
        var images = pages.SelectMany(p => p.Segmented)
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => new ImageReport(pair.Key, pair.Value.Mask, pair.Value.Width, pair.Value.Height, pair.Value.Tiles, pair.Value.Classes, pair.Value.Seconds))
            .ToList();
        var failures = pages.SelectMany(p => p.Failures).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        var silos = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (silo, count) in job.Pages.SelectMany(p => p.ImagesBySilo))
        {
            silos[silo] = silos.GetValueOrDefault(silo) + count;
        }

        var scored = images.SelectMany(i => i.Classes).Where(c => c.IoU is not null).ToList();
        return new JobReport(
            jobId,
            job.State,
            spec.Input,
            spec.Output,
            new ReportModel(spec.Model ?? DefaultModel.Name, spec.Mode, spec.TileSize, spec.Overlap, spec.BatchSize, spec.Tta),
            job.Started,
            job.Finished,
            new ReportCounts(job.Total, images.Count, failures.Count),
            new ReportThroughput(seconds, seconds > 0 ? images.Count / seconds : 0, seconds > 0 ? tiles / seconds : 0, tiles),
            scored.Count == 0
                ? null
                : new ReportQuality(images.Count(i => i.Classes.Any(c => c.IoU is not null)), scored.Average(c => c.IoU!.Value), scored.Average(c => c.Dice!.Value)),
            silos,
            images,
            failures);
    }
}
