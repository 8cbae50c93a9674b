using System.Diagnostics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>What a worker would report, made by hand: the coordinator never looks at pixels.</summary>
internal static class Work
{
    public static string NewJobId() => "job-" + Guid.NewGuid().ToString("N")[..12];

    public static JobSpec Spec(string input, string output, int shardSize = 2, int maxAttempts = 3, int leaseSeconds = 10) => new()
    {
        Input = input,
        Output = output,
        ShardSize = shardSize,
        MaxAttempts = maxAttempts,
        LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
    };

    public static ImageResult Segmented(string name, string silo = "silo-a", double? iou = null) => new ImageSegmented
    {
        Name = name,
        Silo = silo,
        Summary = new ImageSummary
        {
            Width = 32,
            Height = 24,
            Tiles = 1,
            Mask = OutputNames.For(OutputNames.Masks, name),
            Seconds = 0.01,
            Classes = [new ClassSummary { Class = 0, ForegroundFraction = 0.5, IoU = iou, Dice = iou is { } v ? 2 * v / (1 + v) : null }],
        },
    };

    public static ImageResult Failed(string name, string reason, bool retryable) => new ImageFailed { Name = name, Reason = reason, Retryable = retryable };

    public static ShardResult Result(ShardLease lease, string worker, IEnumerable<ImageResult> images, long tiles = 0) => new()
    {
        JobId = lease.JobId,
        Lease = lease.Ref,
        WorkerId = worker,
        Images = [.. images],
        Tiles = tiles,
    };

    /// <summary>Completes a lease with every image segmented.</summary>
    public static Task CompleteAllAsync(IJobGrain job, ShardLease lease, string worker, string silo = "silo-a") =>
        job.CompleteAsync(Result(lease, worker, lease.Images.Select(i => Segmented(i, silo)), tiles: lease.Images.Count));

    /// <summary>Polls a job run by real workers until it has finished or <paramref name="patience"/> is up; the last status either way.</summary>
    public static async Task<JobStatus> WaitUntilFinishedAsync(IJobGrain job, TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await job.GetStatusAsync();
            if (status.IsFinished || clock.Elapsed > patience)
            {
                return status;
            }

            await Task.Delay(200);
        }
    }

    public static async Task<JobReport> ReadReportAsync(string output) =>
        JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName)));
}
