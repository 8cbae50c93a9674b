namespace UNetPP.Cluster.Contracts;

/// <summary>A job as the cluster's job list shows it.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.JobEntry")]
public sealed record JobEntry(
    [property: Id(0)] string JobId,
    [property: Id(1)] DateTimeOffset Submitted,
    [property: Id(2)] bool Active,
    [property: Id(3)] int Priority = JobPriority.Normal);

/// <summary>
/// The cluster's list of jobs (one grain, key 0): jobs announce themselves here, and workers on
/// every silo ask it which jobs have work, in the order to take it.
/// </summary>
[Alias("unetpp.IJobQueueGrain")]
public interface IJobQueueGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Announce")]
    Task AnnounceAsync(string jobId, int priority);

    /// <summary>The job has no more work to hand out.</summary>
    [Alias("Retire")]
    Task RetireAsync(string jobId);

    /// <summary>The running jobs, the one to lease from first first: highest priority, aged by how long each has waited.</summary>
    [Alias("GetActive")]
    Task<IReadOnlyList<string>> GetActiveAsync();

    /// <summary>A worker has just leased shards of these jobs: their waits start again.</summary>
    [Alias("Leased")]
    Task LeasedAsync(IReadOnlyList<string> jobIds);

    [Alias("List")]
    Task<IReadOnlyList<JobEntry>> ListAsync();
}
