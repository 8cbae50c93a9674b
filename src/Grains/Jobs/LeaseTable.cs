using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// The shards workers hold now, for one job, and the protocol that keeps that list true. A lease
/// not renewed in time expires and its shard goes back (its images' try counts). A page call that
/// fails may have been done all the same (its write landed, its answer was lost): the page is then
/// unsure, and before the next lease its shards are read back and reconciled. A coordinator that
/// activates anew recovers every held shard from its pages. Holdings live in memory only; the pages
/// are the authority, so renewals cost no write. Keeps the job's page counts and first failures
/// current from every page answer.
/// </summary>
/// <param name="job">The job's record: its spec (lease duration), page counts and first failures.</param>
internal sealed partial class LeaseTable(string jobId, JobRecord job, JobPages pages, TimeProvider clock, ILogger logger)
{
    private readonly Dictionary<(int Page, int Shard), HeldShard> _held = [];

    /// <summary>Pages a call to which failed: what they hold is read back before the next lease (see <see cref="SettleAsync"/>).</summary>
    private readonly HashSet<int> _unsure = [];

    private TimeSpan LeaseDuration => job.Spec?.LeaseDuration ?? TimeSpan.Zero;

    /// <summary>
    /// Leases up to <paramref name="maxShards"/> shards to the worker: pages with bands and stitches of
    /// large images waiting first, then the others, each in order. Unsure pages are settled and expired
    /// leases put back first.
    /// </summary>
    public async Task<LeaseRound> LeaseAsync(string workerId, int maxShards)
    {
        DoubtPagesWithShardsOutUnknownHere();
        var settled = await SettleAsync();
        var changed = await ExpireAsync() || settled;
        var expires = clock.GetUtcNow() + LeaseDuration;
        var granted = new List<GrantedShard>();
        var waiting = Enumerable.Range(0, job.Pages.Count).Where(i => job.Pages[i].Pending > 0).OrderBy(i => job.Pages[i].UrgentPending > 0 ? 0 : 1).ToList();
        foreach (var index in waiting)
        {
            if (granted.Count >= maxShards)
            {
                break;
            }

            var got = await AskAsync(index, page => page.LeaseAsync(workerId, maxShards - granted.Count));
            job.Pages[index] = got.Progress;
            foreach (var shard in got.Shards)
            {
                Hold(index, shard, expires);
                granted.Add(new GrantedShard(index, shard, expires));
            }
        }

        return new LeaseRound(granted, changed);
    }

    /// <summary>Extends the worker's leases that it still holds; returns those it does not.</summary>
    public IReadOnlyList<ShardLeaseRef> Renew(string workerId, IReadOnlyList<ShardLeaseRef> leases)
    {
        var lost = new List<ShardLeaseRef>();
        var until = clock.GetUtcNow() + LeaseDuration;
        foreach (var lease in leases)
        {
            if (Holding(workerId, lease) is { } held)
            {
                held.Expires = until;
            }
            else
            {
                lost.Add(lease);
            }
        }

        return lost;
    }

    /// <summary>Whether the worker holds the shard under that lease now; results of any other holding are stale.</summary>
    public bool Holds(string workerId, ShardLeaseRef lease) => Holding(workerId, lease) is not null;

    /// <summary>Hands a held shard's results to its page and lets the shard go.</summary>
    public async Task CompleteAsync(ShardResult result)
    {
        var change = await AskAsync(result.Lease.Page, page => page.CompleteAsync(result));
        _held.Remove((result.Lease.Page, result.Lease.ShardId));
        Apply(result.Lease.Page, change);
    }

    /// <summary>Puts the worker's shards back in the queue at once, without costing a try.</summary>
    /// <returns>Whether the worker held any of them.</returns>
    public async Task<bool> ReleaseAsync(string workerId, IReadOnlyList<ShardLeaseRef> leases)
    {
        var released = false;
        foreach (var page in leases.Where(lease => Holding(workerId, lease) is not null).GroupBy(lease => lease.Page))
        {
            job.Pages[page.Key] = await AskAsync(page.Key, grain => grain.ReleaseAsync([.. page]));
            foreach (var lease in page)
            {
                _held.Remove((lease.Page, lease.ShardId));
            }

            released = true;
        }

        return released;
    }

    /// <summary>
    /// Reads the job's progress back from its pages: their counts, the shards they have out (each
    /// given a full lease from now, since renewals were not persisted) and the first failures.
    /// </summary>
    public async Task RecoverAsync()
    {
        var answers = await pages.ForEachAsync(job.Pages.Count, (_, page) => page.RecoverAsync(JobStatus.FailuresListed));
        var expires = clock.GetUtcNow() + LeaseDuration;
        for (var index = 0; index < answers.Count; index++)
        {
            job.Pages[index] = answers[index].Progress;
            foreach (var shard in answers[index].Held)
            {
                Hold(index, shard, expires);
            }
        }

        job.FirstFailures = [.. answers.SelectMany(p => p.FirstFailures).Take(JobStatus.FailuresListed)];
    }

    /// <summary>Forgets every holding (the job was cancelled): workers learn it at their next renewal.</summary>
    public void Clear() => _held.Clear();

    /// <summary>Images being worked on now: a large image's bands are leased apart but make one image.</summary>
    public int ImagesInProgress()
    {
        var now = clock.GetUtcNow();
        var held = _held.Values.Where(h => h.Expires > now).ToList();
        return held.Where(h => h.BandOf is null).Sum(h => h.Images) + held.Select(h => h.BandOf).OfType<string>().Distinct().Count();
    }

    /// <summary>Calls a page; when the call fails, the page is marked unsure, since it may have done the work all the same.</summary>
    private async Task<T> AskAsync<T>(int index, Func<IJobPageGrain, Task<T>> call)
    {
        try
        {
            return await call(pages[index]);
        }
        catch
        {
            _unsure.Add(index);
            throw;
        }
    }

    /// <summary>
    /// A page with more shards out than this job holds of it lent them through another activation of the
    /// job (live for a moment while the cluster's membership changed), or finished them with an answer
    /// that never came back here. Nothing here would ever expire or count them, so the page is read back.
    /// </summary>
    private void DoubtPagesWithShardsOutUnknownHere()
    {
        var held = _held.Keys.CountBy(key => key.Page).ToDictionary();
        for (var index = 0; index < job.Pages.Count; index++)
        {
            if (job.Pages[index].Open > job.Pages[index].Pending + held.GetValueOrDefault(index))
            {
                _unsure.Add(index);
            }
        }
    }

    /// <summary>
    /// Reads back what each unsure page holds. A shard it has out that no worker was told of (the
    /// answer to its lease was lost) goes back at once, without costing its images a try; a shard
    /// the job took for held that the page no longer has out is dropped, so its worker stops.
    /// </summary>
    /// <returns>Whether any page was read back: a page that did finish a shard may have ended the job.</returns>
    private async Task<bool> SettleAsync()
    {
        var settled = _unsure.Count > 0;
        foreach (var index in _unsure.ToList())
        {
            var page = await pages[index].RecoverAsync(0);
            job.Pages[index] = page.Progress;
            var unknown = page.Held.Where(s => !_held.TryGetValue((index, s.ShardId), out var held) || held.Lease.LeaseId != s.LeaseId).ToList();
            if (unknown.Count > 0)
            {
                LogUnclaimedReturned(logger, jobId, index, unknown.Count);
                job.Pages[index] = await pages[index].ReleaseAsync([.. unknown.Select(s => new ShardLeaseRef(index, s.ShardId, s.LeaseId))]);
            }

            foreach (var key in _held.Keys.Where(k => k.Page == index && !page.Held.Any(s => s.ShardId == k.Shard && s.LeaseId == _held[k].Lease.LeaseId)).ToList())
            {
                _held.Remove(key);
            }

            _unsure.Remove(index);
        }

        return settled;
    }

    /// <summary>Puts back shards whose worker stopped renewing; the page counts the try against their images.</summary>
    /// <returns>Whether any lease expired.</returns>
    private async Task<bool> ExpireAsync()
    {
        var now = clock.GetUtcNow();
        var expired = _held.Values.Where(h => h.Expires <= now).ToList();
        foreach (var held in expired)
        {
            LogLeaseExpired(logger, jobId, held.Lease.Page, held.Lease.ShardId, held.Worker);
            var change = await AskAsync(held.Lease.Page, page => page.ExpireAsync(held.Lease));
            _held.Remove((held.Lease.Page, held.Lease.ShardId));
            Apply(held.Lease.Page, change);
        }

        return expired.Count > 0;
    }

    /// <summary>Takes in what a page call changed: its counts, its new failures, and shards it closed under their workers.</summary>
    private void Apply(int page, PageChange change)
    {
        job.Pages[page] = change.Progress;
        job.FirstFailures.AddRange(change.NewFailures.Take(JobStatus.FailuresListed - job.FirstFailures.Count));
        foreach (var shard in change.Closed)
        {
            _held.Remove((page, shard));
        }
    }

    private HeldShard? Holding(string workerId, ShardLeaseRef lease) =>
        _held.TryGetValue((lease.Page, lease.ShardId), out var held) && held.Lease.LeaseId == lease.LeaseId && held.Worker == workerId
            ? held
            : null;

    private void Hold(int page, PageShard shard, DateTimeOffset expires) => _held[(page, shard.ShardId)] = new HeldShard
    {
        Lease = new ShardLeaseRef(page, shard.ShardId, shard.LeaseId),
        Worker = shard.Worker,
        Expires = expires,
        Images = shard.Work.Images.Count,
        BandOf = shard.Work is BandWork band ? band.Image : null,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: page {Page} had {Shards} shard(s) out whose lease never reached a worker; they go back in the queue.")]
    private static partial void LogUnclaimedReturned(ILogger logger, string jobId, int page, int shards);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the lease of shard {Page}.{ShardId} held by {Worker} expired; the shard goes back in the queue.")]
    private static partial void LogLeaseExpired(ILogger logger, string jobId, int page, int shardId, string worker);

    /// <summary>A shard held by a worker: the cluster's concurrency bounds how many there are.</summary>
    private sealed class HeldShard
    {
        public required ShardLeaseRef Lease { get; init; }

        public required string Worker { get; init; }

        public required DateTimeOffset Expires { get; set; }

        public required int Images { get; init; }

        /// <summary>The large image this shard is a band of: its bands make one image in progress.</summary>
        public string? BandOf { get; init; }
    }
}

/// <summary>A shard a page handed out in a lease round, with its page and when its lease ends.</summary>
internal sealed record GrantedShard(int Page, PageShard Shard, DateTimeOffset Expires);

/// <summary>What one lease round gave, and whether the round also changed the job's counts (expiries, settled pages).</summary>
internal sealed record LeaseRound(IReadOnlyList<GrantedShard> Shards, bool Changed);
