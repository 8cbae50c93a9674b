namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>A running job as the lease order sees it: its priority, and since when it has waited for a worker.</summary>
public sealed record WaitingJob(string JobId, int Priority, DateTimeOffset WaitingSince);

/// <summary>
/// The order workers lease in. A job's effective priority is its priority plus one for every
/// <paramref name="step"/> it has waited since it last got a shard leased (or started running); the
/// highest goes first, and of equals the one that has waited longer. So a job d priorities below one
/// that keeps the workers busy is first in line once it has waited d steps: higher priorities are
/// served first, and a lower one is never starved.
/// </summary>
public sealed class LeaseOrder(TimeSpan step)
{
    public long Effective(WaitingJob job, DateTimeOffset now) =>
        job.Priority + (long)Math.Floor(Math.Max(0, (now - job.WaitingSince) / step));

    /// <summary>The jobs, the one to lease from first first; ties on effective priority and waiting fall to the job id, so every silo agrees.</summary>
    public IReadOnlyList<string> Order(IEnumerable<WaitingJob> jobs, DateTimeOffset now) =>
        [.. jobs.OrderByDescending(j => Effective(j, now)).ThenBy(j => j.WaitingSince).ThenBy(j => j.JobId, StringComparer.Ordinal).Select(j => j.JobId)];
}
