using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>Turns a job's persisted record into its report.</summary>
public static class JobReportBuilder
{
    public static JobReport Build(string jobId, JobRecord job, DateTimeOffset now)
    {
        var spec = job.Spec!;
        var seconds = ((job.Finished ?? now) - (job.Started ?? now)).TotalSeconds;
        var images = job.Segmented
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => new ImageReport(pair.Key, pair.Value.Mask, pair.Value.Width, pair.Value.Height, pair.Value.Tiles, pair.Value.Classes, pair.Value.Seconds))
            .ToList();
        var scored = images.SelectMany(i => i.Classes).Where(c => c.IoU is not null).ToList();
        return new JobReport(
            jobId,
            job.State,
            spec.Input,
            spec.Output,
            new ReportModel(spec.Model ?? DefaultModel.Name, spec.Mode, spec.TileSize, spec.Overlap, spec.BatchSize, spec.Tta),
            job.Started,
            job.Finished,
            new ReportCounts(job.Total, job.Segmented.Count, job.Failures.Count),
            new ReportThroughput(seconds, seconds > 0 ? images.Count / seconds : 0, seconds > 0 ? job.Tiles / seconds : 0, job.Tiles),
            scored.Count == 0
                ? null
                : new ReportQuality(images.Count(i => i.Classes.Any(c => c.IoU is not null)), scored.Average(c => c.IoU!.Value), scored.Average(c => c.Dice!.Value)),
            new SortedDictionary<string, int>(job.ImagesBySilo, StringComparer.Ordinal),
            images,
            [.. job.Failures.OrderBy(f => f.Name, StringComparer.Ordinal)]);
    }
}
