using System.Runtime.CompilerServices;

namespace UNetPP.Cluster.Contracts;

/// <summary>
/// The calls a program makes to the segmentation cluster — the same ones the <c>unetpp</c> command
/// line makes. Give it the grain factory of a connected Orleans client (or of a silo in the same process).
/// </summary>
public sealed class SegmentationClient(IGrainFactory grains)
{
    /// <summary>Starts a job; submitting the same spec under the same id again returns the same job.</summary>
    public Task<JobStatus> SubmitAsync(string jobId, JobSpec spec)
    {
        spec.Validate();
        return Job(jobId).SubmitAsync(spec);
    }

    public Task<JobStatus> GetStatusAsync(string jobId) => Job(jobId).GetStatusAsync();

    /// <summary>The job's report.json as it wrote it to its output; null until the job has ended and written it.</summary>
    public Task<string?> GetReportAsync(string jobId) => Job(jobId).GetReportAsync();

    /// <summary>
    /// Cancels the job and waits while it finishes the images being written (a few seconds at most,
    /// bounded by the coordinator), so the status returned, like the report, counts them.
    /// </summary>
    public async Task<JobStatus> CancelAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var status = await Job(jobId).CancelAsync();
        while (status.Cancelling)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            status = await GetStatusAsync(jobId);
        }

        return status;
    }

    public Task<IReadOnlyList<JobEntry>> ListAsync() => grains.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).ListAsync();

    /// <summary>Every job the cluster knows, newest first, each with its status now: what <c>unetpp list</c> shows.</summary>
    public async Task<IReadOnlyList<(JobEntry Entry, JobStatus Status)>> ListStatusesAsync()
    {
        var entries = (await ListAsync()).OrderByDescending(e => e.Submitted).ToList();
        var statuses = await Task.WhenAll(entries.Select(e => GetStatusAsync(e.JobId)));
        return [.. entries.Zip(statuses)];
    }

    public Task<IReadOnlyList<WorkerStatus>> GetWorkersAsync() => grains.GetGrain<IClusterViewGrain>(IClusterViewGrain.Key).GetWorkersAsync();

    /// <summary>The job's status every <paramref name="interval"/>, ending with the first finished one.</summary>
    public async IAsyncEnumerable<JobStatus> WatchAsync(string jobId, TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var status = await GetStatusAsync(jobId);
            yield return status;
            if (status.IsFinished || status.State == JobState.Unknown)
            {
                yield break;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>A new job id that sorts by submission time and is unique without coordination.</summary>
    public static string NewJobId() => $"job-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    private IJobGrain Job(string jobId) => grains.GetGrain<IJobGrain>(jobId);
}
