namespace UNetPP.Cluster.Contracts;

/// <summary>A job as the cluster's job list shows it.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.JobEntry")]
public sealed record JobEntry([property: Id(0)] string JobId, [property: Id(1)] DateTimeOffset Submitted, [property: Id(2)] bool Active);

/// <summary>
/// The cluster's list of jobs (one grain, key 0): jobs announce themselves here, and workers on
/// every silo ask it which jobs have work.
/// </summary>
[Alias("unetpp.IJobQueueGrain")]
public interface IJobQueueGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Announce")]
    Task AnnounceAsync(string jobId);

    /// <summary>The job has no more work to hand out.</summary>
    [Alias("Retire")]
    Task RetireAsync(string jobId);

    [Alias("GetActive")]
    Task<IReadOnlyList<string>> GetActiveAsync();

    [Alias("List")]
    Task<IReadOnlyList<JobEntry>> ListAsync();
}
