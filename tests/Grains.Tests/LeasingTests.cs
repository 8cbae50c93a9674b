using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>Workers pull shards: each shard is held by one worker at a time, and the job is listed while it has work.</summary>
[Collection(CoordinatorGroup.Name)]
public sealed class LeasingTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task TwoWorkersNeverHoldTheSameShardAndGetNoMoreThanTheyAskFor()
    {
        var (id, job) = await cluster.SubmitAsync(10, shardSize: 2);

        var a = await job.LeaseAsync("worker-a", 2);
        var b = await job.LeaseAsync("worker-b", 2);
        var a2 = await job.LeaseAsync("worker-a", 2);
        var none = await job.LeaseAsync("worker-b", 2);

        Assert.Equal((2, 2, 1, 0), (a.Count, b.Count, a2.Count, none.Count));
        var all = a.Concat(b).Concat(a2).ToList();
        Assert.Equal(5, all.Select(l => l.ShardId).Distinct().Count());
        Assert.Equal(10, all.SelectMany(l => l.Images).Distinct().Count());
        Assert.Equal(5, all.Select(l => l.LeaseId).Distinct().Count());
        Assert.All(all, l => Assert.Equal(id, l.JobId));
        Assert.All(all, l => Assert.Equal(TimeSpan.FromSeconds(10), l.Spec.LeaseDuration));
        Assert.All(all, l => Assert.InRange(l.ExpiresAt - cluster.Clock.GetUtcNow(), TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10)));
        Assert.Empty(await job.LeaseAsync("worker-c", 0));
        Assert.Equal(10, (await job.GetStatusAsync()).InProgress);
    }

    [Fact]
    public async Task AReleasedShardGoesToTheNextWorkerAtOnce()
    {
        var (_, job) = await cluster.SubmitAsync(2, shardSize: 2);
        var held = Assert.Single(await job.LeaseAsync("worker-a", 1));

        await job.ReleaseAsync("worker-b", [held.Ref]); // not b's to release
        Assert.Empty(await job.LeaseAsync("worker-b", 1));
        await job.ReleaseAsync("worker-a", [held.Ref]);
        var taken = Assert.Single(await job.LeaseAsync("worker-b", 1));

        Assert.Equal(held.ShardId, taken.ShardId);
        Assert.NotEqual(held.LeaseId, taken.LeaseId);
        Assert.Equal(held.Images, taken.Images);
        Assert.Equal([held.Ref], await job.RenewAsync("worker-a", [held.Ref]));
    }

    [Fact]
    public async Task TheJobIsActiveOnTheQueueWhileItHasWorkAndRetiresWhenDone()
    {
        var (id, job) = await cluster.SubmitAsync(3, shardSize: 2);
        Assert.Contains(id, await cluster.Queue.GetActiveAsync());

        foreach (var lease in await job.LeaseAsync("worker-a", 2))
        {
            await Work.CompleteAllAsync(job, lease, "worker-a");
        }

        var status = await job.GetStatusAsync();
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal((3, 3, 0, 0), (status.Total, status.Done, status.Failed, status.InProgress));
        Assert.NotNull(status.Finished);
        Assert.DoesNotContain(id, await cluster.Queue.GetActiveAsync());
        var entry = Assert.Single(await cluster.Queue.ListAsync(), e => e.JobId == id);
        Assert.False(entry.Active);
        Assert.Empty(await job.LeaseAsync("worker-b", 4));
    }

    [Fact]
    public async Task AJobWithNoIdIsUnknownAndHasNothingToLease()
    {
        var job = cluster.Job(Work.NewJobId());

        Assert.Equal(JobState.Unknown, (await job.GetStatusAsync()).State);
        Assert.Empty(await job.LeaseAsync("worker-a", 4));
        var stray = new ShardLeaseRef(0, 0, Guid.NewGuid());
        Assert.Equal([stray], await job.RenewAsync("worker-a", [stray]));
    }
}
