using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// One page of a job's plan, persisted: <see cref="JobPage"/> decides, and every change is stored
/// before the page answers, so what the job grain hears is what storage holds.
/// </summary>
public sealed class JobPageGrain(
    [PersistentState("page", JobGrain.StorageName)] IPersistentState<JobPageRecord> record,
    ILogger<JobPageGrain> logger) : Grain, IJobPageGrain
{
    private JobPage? _page;

    private JobPage Page => _page ??= new JobPage(record.State, JobId, logger);

    private string JobId
    {
        get
        {
            this.GetPrimaryKeyLong(out var jobId);
            return jobId!;
        }
    }

    public async Task<PageProgress> PlanAsync(PageRules rules, PagePlan plan)
    {
        record.State = new JobPageRecord { Rules = rules, Shards = plan.Shards, Failures = plan.Refused };
        _page = null;
        await SaveAsync();
        return Page.Progress();
    }

    public Task<PageLeases> LeaseAsync(string workerId, int maxShards) =>
        SavedAsync(Page.Lease(workerId, maxShards, out var changed), changed);

    public Task<PageChange> CompleteAsync(ShardResult result) =>
        SavedAsync(Page.Complete(result, out var changed), changed);

    public Task<PageChange> ExpireAsync(ShardLeaseRef lease) =>
        SavedAsync(Page.Expire(lease, out var changed), changed);

    public Task<PageProgress> ReleaseAsync(IReadOnlyList<ShardLeaseRef> leases) =>
        SavedAsync(Page.Release(leases, out var changed), changed);

    public Task<PageRecovery> RecoverAsync(int failures) => Task.FromResult(Page.Recover(failures));

    public Task<PageOutcome> GetOutcomeAsync()
    {
        var outcome = Page.Outcome();
        LeaveWhenFinished();
        return Task.FromResult(outcome);
    }

    /// <summary>The answer, once a change behind it is stored.</summary>
    private async Task<T> SavedAsync<T>(T answer, bool changed)
    {
        if (changed)
        {
            await SaveAsync();
            LeaveWhenFinished();
        }

        return answer;
    }

    /// <summary>
    /// A page with every shard done holds a summary of each of its images that nothing will change: it
    /// leaves memory, and the report reads it back from storage. Otherwise a silo would hold every page
    /// it coordinated until the job ended, memory that grows with the job's size.
    /// </summary>
    private void LeaveWhenFinished()
    {
        if (Page.Progress().Open == 0)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>
    /// Persists the page. When that fails, the page's memory is ahead of its storage: the
    /// activation is dropped so the caller's retry finds the page as stored and does the change again.
    /// </summary>
    private async Task SaveAsync()
    {
        try
        {
            await record.WriteStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }
}
