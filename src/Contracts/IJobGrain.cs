using Orleans.Concurrency;
namespace UNetPP.Cluster.Contracts;

/// <summary>
/// The coordinator of one job (key: the job id). It plans shards, leases them to workers, takes
/// their results, retries what failed, and writes the report when the last image is done.
/// Its state is persisted, so it continues on another silo if its own dies.
/// </summary>
[Alias("unetpp.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Starts the job; submitting the same spec again under the same id is the same job.</summary>
    [Alias("Submit")]
    Task<JobStatus> SubmitAsync(JobSpec spec);

    /// <remarks>
    /// Answered between the turns of other calls: it only reads the job's state in memory, and it must
    /// not queue behind calls that wait on storage while a large job's shards complete.
    /// </remarks>
    [Alias("GetStatus")]
    [AlwaysInterleave]
    Task<JobStatus> GetStatusAsync();

    /// <summary>
    /// The job's report.json as it wrote it to its output, read with the job's own access to that output;
    /// null until the job has ended and written it, or when another job has written its own there since.
    /// </summary>
    [Alias("GetReport")]
    Task<string?> GetReportAsync();

    /// <summary>Stops handing out shards and tells the workers holding some to stop.</summary>
    [Alias("Cancel")]
    Task<JobStatus> CancelAsync();

    /// <summary>Up to <paramref name="maxShards"/> shards for <paramref name="workerId"/>; none when there is nothing to do.</summary>
    [Alias("Lease")]
    Task<IReadOnlyList<ShardLease>> LeaseAsync(string workerId, int maxShards);

    /// <summary>Extends the worker's leases; returns those it no longer holds (expired, re-leased or cancelled) so it stops them.</summary>
    /// <remarks>
    /// Answered between the turns of other calls: it only touches leases in memory, and a renewal sent in
    /// time must not wait behind a lease or a result that waits on slow storage, while a lease round
    /// queued before it expires the very lease it renews.
    /// </remarks>
    [Alias("Renew")]
    [AlwaysInterleave]
    Task<IReadOnlyList<ShardLeaseRef>> RenewAsync(string workerId, IReadOnlyList<ShardLeaseRef> leases);

    /// <summary>Takes a shard's results; results of a lease the worker no longer holds are ignored.</summary>
    [Alias("Complete")]
    Task CompleteAsync(ShardResult result);

    /// <summary>Gives shards back unfinished (a silo shutting down), so others take them at once.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string workerId, IReadOnlyList<ShardLeaseRef> leases);
}
