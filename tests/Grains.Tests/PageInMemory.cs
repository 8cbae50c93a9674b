using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>How the next call to a page goes wrong, as a call to a page grain can.</summary>
internal enum PageFault
{
    None,

    /// <summary>The call fails before the page does anything (its silo was unreachable).</summary>
    BeforeDoing,

    /// <summary>The page does the change and stores it, but its answer never arrives (the call timed out).</summary>
    AnswerLost,
}

/// <summary>
/// A page as its grain answers, without a silo: the real <see cref="JobPage"/> over a record in
/// memory, and the two ways a call to it can fail, so the lease table's protocol for each is tested.
/// </summary>
internal sealed class PageInMemory(JobPageRecord record) : IJobPageGrain
{
    private readonly JobPage _page = new(record, "job-1", NullLogger.Instance);

    public JobPageRecord Record => record;

    public PageProgress Progress => _page.Progress();

    /// <summary>The fault of the next call only; calls after it go well.</summary>
    public PageFault NextFault { get; set; }

    public static PageInMemory Of(JobSpec spec, params ShardWork[] shards) => new(new JobPageRecord
    {
        Rules = PageRules.Of(spec),
        Shards = [.. shards.Select((work, id) => new ShardRecord { Id = id, Work = work })],
    });

    public Task<PageProgress> PlanAsync(PageRules rules, PagePlan plan) => throw new NotSupportedException("planning is the job grain's");

    public Task<PageLeases> LeaseAsync(string workerId, int maxShards) => Answer(() => _page.Lease(workerId, maxShards, out _));

    public Task<PageChange> CompleteAsync(ShardResult result) => Answer(() => _page.Complete(result, out _));

    public Task<PageChange> ExpireAsync(ShardLeaseRef lease) => Answer(() => _page.Expire(lease, out _));

    public Task<PageProgress> ReleaseAsync(IReadOnlyList<ShardLeaseRef> leases) => Answer(() => _page.Release(leases, out _));

    public Task<PageRecovery> RecoverAsync(int failures) => Answer(() => _page.Recover(failures));

    public Task<PageOutcome> GetOutcomeAsync() => Answer(_page.Outcome);

    private Task<T> Answer<T>(Func<T> call)
    {
        var fault = NextFault;
        NextFault = PageFault.None;
        if (fault == PageFault.BeforeDoing)
        {
            return Task.FromException<T>(new TimeoutException("the page's silo did not answer"));
        }

        var answer = call();
        return fault == PageFault.AnswerLost
            ? Task.FromException<T>(new TimeoutException("the page's answer was lost"))
            : Task.FromResult(answer);
    }
}
