using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// The coordinator's lease protocol on its own, without a silo: real page logic in memory, a clock
/// the test moves, and page calls that fail before they are done or after (their answer lost).
/// </summary>
public sealed class LeaseTableTests
{
    private static readonly JobSpec Spec = Work.Spec("in", "out", maxAttempts: 3, leaseSeconds: 10);

    private static readonly TimeSpan Lease = Spec.LeaseDuration;

    private readonly TestClock _clock = new();

    [Fact]
    public async Task BandsAreLeasedBeforeWholeImagesAndNoMoreThanTheWorkerAsks()
    {
        var (table, _, _) = Table(
            PageInMemory.Of(Spec, Images("a.png", "b.png"), Images("c.png")),
            PageInMemory.Of(Spec, Images("d.png"), Band("big.tif", 0, 2), Band("big.tif", 1, 2)));

        var round = await table.LeaseAsync("worker-a", 3);

        Assert.False(round.Changed);
        Assert.Equal([(1, 1), (1, 2), (1, 0)], round.Shards.Select(s => (s.Page, s.Shard.ShardId)));
        Assert.All(round.Shards, s => Assert.Equal(_clock.GetUtcNow() + Lease, s.Expires, TimeSpan.FromSeconds(1)));

        // The two bands of one image make one image in progress, beside d.png.
        Assert.Equal(2, table.ImagesInProgress());
    }

    [Fact]
    public async Task ALeaseRenewedInTimeStaysAndOneNotRenewedGoesBackCostingATry()
    {
        var (table, _, pages) = Table(PageInMemory.Of(Spec, Images("a.png"), Images("b.png")));
        var kept = Assert.Single((await table.LeaseAsync("worker-a", 1)).Shards);
        var dropped = Assert.Single((await table.LeaseAsync("worker-b", 1)).Shards);

        _clock.Advance(Lease * 0.6);
        Assert.Empty(table.Renew("worker-a", [Ref(kept)]));
        _clock.Advance(Lease * 0.6);

        var round = await table.LeaseAsync("worker-c", 2);

        Assert.True(round.Changed, "an expiry changes the job's counts");
        var again = Assert.Single(round.Shards);
        Assert.Equal(dropped.Shard.ShardId, again.Shard.ShardId);
        Assert.NotEqual(dropped.Shard.LeaseId, again.Shard.LeaseId);
        Assert.Equal(1, pages[0].Record.Shards[dropped.Shard.ShardId].Attempts["b.png"]);
        Assert.Equal([Ref(dropped)], table.Renew("worker-b", [Ref(dropped)]));
        Assert.Empty(table.Renew("worker-a", [Ref(kept)]));
        Assert.False(table.Holds("worker-a", Ref(dropped)));
    }

    [Fact]
    public async Task ALeaseWhoseAnswerWasLostGoesBackAtOnceWithoutCostingATry()
    {
        var (table, _, pages) = Table(PageInMemory.Of(Spec, Images("a.png"), Images("b.png")));
        pages[0].NextFault = PageFault.AnswerLost;
        await Assert.ThrowsAsync<TimeoutException>(() => table.LeaseAsync("worker-a", 1));
        Assert.Equal(ShardState.Leased, pages[0].Record.Shards[0].State);

        var round = await table.LeaseAsync("worker-b", 2);

        Assert.True(round.Changed, "the unsure page was read back");
        Assert.Equal([0, 1], round.Shards.Select(s => s.Shard.ShardId).Order());
        Assert.All(pages[0].Record.Shards, s => Assert.Empty(s.Attempts));
        Assert.Equal(2, pages[0].Record.Shards[0].Leases);
    }

    [Fact]
    public async Task AResultStoredWhoseAnswerWasLostIsReadBackAndItsShardLetGo()
    {
        var (table, job, pages) = Table(PageInMemory.Of(Spec, Images("a.png"), Images("b.png")));
        var leased = (await table.LeaseAsync("worker-a", 2)).Shards;
        var done = Result(leased[0], "worker-a", Work.Segmented("a.png"));
        pages[0].NextFault = PageFault.AnswerLost;
        await Assert.ThrowsAsync<TimeoutException>(() => table.CompleteAsync(done));
        Assert.Equal(0, job.Pages[0].Segmented);

        var round = await table.LeaseAsync("worker-b", 1);

        Assert.True(round.Changed);
        Assert.Empty(round.Shards);
        Assert.Equal((1, 1), (job.Pages[0].Segmented, job.Pages[0].Open));
        Assert.Equal([Ref(leased[0])], table.Renew("worker-a", [Ref(leased[0]), Ref(leased[1])]));
    }

    [Fact]
    public async Task ACallThatFailedBeforeThePageDidAnythingIsSettledWithNothingToUndo()
    {
        var (table, job, pages) = Table(PageInMemory.Of(Spec, Images("a.png"), Images("b.png")));
        var held = Assert.Single((await table.LeaseAsync("worker-a", 1)).Shards);
        pages[0].NextFault = PageFault.BeforeDoing;
        await Assert.ThrowsAsync<TimeoutException>(() => table.CompleteAsync(Result(held, "worker-a", Work.Segmented("a.png"))));

        var round = await table.LeaseAsync("worker-b", 2);

        Assert.True(round.Changed);
        Assert.Equal(1, Assert.Single(round.Shards).Shard.ShardId);
        Assert.True(table.Holds("worker-a", Ref(held)), "the page still has the shard out to its worker");
        await table.CompleteAsync(Result(held, "worker-a", Work.Segmented("a.png")));
        Assert.Equal(1, job.Pages[0].Segmented);
    }

    [Fact]
    public async Task ANewTableRecoversHeldShardsWithAFullLeaseAndTheFirstFailures()
    {
        var page = PageInMemory.Of(Spec, Images("a.png"), Images("b.png"), Images("c.png"));
        var (first, stale, _) = Table(page);
        var leased = (await first.LeaseAsync("worker-a", 2)).Shards;
        await first.CompleteAsync(Result(leased[1], "worker-a", Work.Failed("b.png", "truncated", retryable: false)));
        _clock.Advance(Lease * 0.9);

        // What a coordinator activating on another silo has: its record as last stored, before the failure.
        var (table, job, _) = Table(page, stored: stale.Pages[0] with { Failed = 0 });
        await table.RecoverAsync();

        Assert.Equal((1, 1), (job.Pages[0].Failed, job.Pages[0].Pending));
        Assert.Equal(new ImageFailure("b.png", "truncated"), Assert.Single(job.FirstFailures));
        Assert.Equal(1, table.ImagesInProgress());

        // The held shard got a whole lease at recovery, so it outlives its first lease's end.
        _clock.Advance(Lease * 0.9);
        var round = await table.LeaseAsync("worker-b", 5);
        Assert.False(round.Changed);
        Assert.Equal(2, Assert.Single(round.Shards).Shard.ShardId);
        Assert.True(table.Holds("worker-a", Ref(leased[0])));

        _clock.Advance(Lease * 0.2);
        round = await table.LeaseAsync("worker-b", 5);
        Assert.True(round.Changed);
        Assert.Equal(0, Assert.Single(round.Shards).Shard.ShardId);
    }

    [Fact]
    public async Task AShardLentThroughAnotherActivationOfTheJobIsFoundAndLentAgainWithoutCostingATry()
    {
        var page = PageInMemory.Of(Spec, Images("a.png"), Images("b.png"));
        var (live, job, _) = Table(page);

        // A second activation of the job, live for a moment while the cluster's membership changed, lends a
        // shard; the live one never hears of it, and its worker's results and renewals come to the live one.
        var (other, _, _) = Table(page);
        var lent = Assert.Single((await other.LeaseAsync("worker-a", 1)).Shards);
        var mine = Assert.Single((await live.LeaseAsync("worker-b", 2)).Shards);
        await live.CompleteAsync(Result(mine, "worker-b", Work.Segmented("b.png")));
        Assert.Equal((1, 0, 0), (job.Pages[0].Open, job.Pages[0].Pending, live.ImagesInProgress()));

        var round = await live.LeaseAsync("worker-c", 2);

        Assert.True(round.Changed, "the page was read back");
        var again = Assert.Single(round.Shards);
        Assert.Equal(lent.Shard.ShardId, again.Shard.ShardId);
        Assert.Empty(page.Record.Shards[lent.Shard.ShardId].Attempts);
        Assert.False(live.Holds("worker-a", Ref(lent)));
    }

    [Fact]
    public async Task ABandThatFailsForGoodClosesItsImagesOtherBandsUnderTheirWorkers()
    {
        var (table, job, _) = Table(PageInMemory.Of(Spec, Band("big.tif", 0, 3), Band("big.tif", 1, 3), Band("big.tif", 2, 3)));
        var failing = Assert.Single((await table.LeaseAsync("worker-a", 1)).Shards);
        var others = (await table.LeaseAsync("worker-b", 2)).Shards;
        Assert.Equal(1, table.ImagesInProgress());

        await table.CompleteAsync(Result(failing, "worker-a", Work.Failed("big.tif", "damaged", retryable: false)));

        Assert.Equal(others.Select(Ref), table.Renew("worker-b", [.. others.Select(Ref)]));
        Assert.Equal(0, table.ImagesInProgress());
        Assert.Equal((0, 1), (job.Pages[0].Open, job.Pages[0].Failed));
        var failure = Assert.Single(job.FirstFailures);
        Assert.Equal("band 1 of 3 (64×32 at row 0): damaged", failure.Reason);
    }

    [Fact]
    public async Task OnlyTheHolderReleasesAShardAndItGoesBackWithoutATry()
    {
        var (table, _, pages) = Table(PageInMemory.Of(Spec, Images("a.png"), Images("b.png")));
        var leased = (await table.LeaseAsync("worker-a", 2)).Shards;

        Assert.False(await table.ReleaseAsync("worker-b", [.. leased.Select(Ref)]));
        Assert.True(await table.ReleaseAsync("worker-a", [.. leased.Select(Ref)]));

        Assert.Equal(2, (await table.LeaseAsync("worker-b", 2)).Shards.Count);
        Assert.All(pages[0].Record.Shards, s => Assert.Empty(s.Attempts));
    }

    private static ImagesWork Images(params string[] names) => new(names);

    private static BandWork Band(string image, int index, int count) => new(image, index, count, 64, index * 32, 32);

    private static ShardLeaseRef Ref(GrantedShard granted) => new(granted.Page, granted.Shard.ShardId, granted.Shard.LeaseId);

    private static ShardResult Result(GrantedShard granted, string worker, params ImageResult[] images) => new()
    {
        JobId = "job-1",
        Lease = Ref(granted),
        WorkerId = worker,
        Images = images,
    };

    /// <summary>A lease table over the pages; the job's record starts with their counts, or with the one given as stored.</summary>
    private (LeaseTable Table, JobRecord Job, IReadOnlyList<PageInMemory> Pages) Table(params PageInMemory[] pages) => Table(pages, null);

    private (LeaseTable Table, JobRecord Job, IReadOnlyList<PageInMemory> Pages) Table(PageInMemory page, PageProgress stored) => Table([page], stored);

    private (LeaseTable Table, JobRecord Job, IReadOnlyList<PageInMemory> Pages) Table(PageInMemory[] pages, PageProgress? stored)
    {
        var job = new JobRecord { Spec = Spec, State = JobState.Running, Pages = [.. pages.Select(p => stored ?? p.Progress)] };
        return (new LeaseTable("job-1", job, new JobPages(index => pages[index]), _clock, NullLogger.Instance), job, pages);
    }
}
