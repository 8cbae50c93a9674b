using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// One page of a job's plan (key: the page's number, with the job id as extension). Only the
/// job's grain calls it, one call at a time: the page keeps its images' shards, tries and
/// outcomes, and answers with its counts.
/// </summary>
[Alias("unetpp.IJobPageGrain")]
public interface IJobPageGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Takes the page's part of the plan, whole: a job is planned again only when its planning was cut short, before any lease.</summary>
    [Alias("Plan")]
    Task<PageProgress> PlanAsync(PageRules rules, PagePlan plan);

    [Alias("Lease")]
    Task<PageLeases> LeaseAsync(string workerId, int maxShards);

    /// <summary>Takes a shard's results, if the page still has the shard out under that lease.</summary>
    [Alias("Complete")]
    Task<PageChange> CompleteAsync(ShardResult result);

    /// <summary>A lease its worker stopped renewing: its images' try counts, and the shard goes back.</summary>
    [Alias("Expire")]
    Task<PageChange> ExpireAsync(ShardLeaseRef lease);

    [Alias("Release")]
    Task<PageProgress> ReleaseAsync(IReadOnlyList<ShardLeaseRef> leases);

    /// <summary>The page's counts, the shards it has out and its first failures, for a job grain that has just activated.</summary>
    [Alias("Recover")]
    Task<PageRecovery> RecoverAsync(int failures);

    [Alias("GetOutcome")]
    Task<PageOutcome> GetOutcomeAsync();
}
