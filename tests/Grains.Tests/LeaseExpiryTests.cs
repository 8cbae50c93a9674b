using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>A worker that stops renewing loses its shard to the next one; its late results are ignored.</summary>
[Collection(CoordinatorGroup.Name)]
public sealed class LeaseExpiryTests(CoordinatorFixture cluster)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AnExpiredLeaseGoesToAnotherWorkerAndTheFirstWorkersResultIsStale()
    {
        var (id, job) = await SubmitAsync(2);
        var first = Assert.Single(await job.LeaseAsync("worker-a", 1));
        Assert.Empty(await job.LeaseAsync("worker-b", 1));

        cluster.Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var second = Assert.Single(await job.LeaseAsync("worker-b", 1));

        Assert.Equal(first.ShardId, second.ShardId);
        Assert.NotEqual(first.LeaseId, second.LeaseId);
        Assert.Equal(first.Images, second.Images);

        // A wakes up: its renewal says the shard is lost, and its results change nothing.
        Assert.Equal([first.Ref], await job.RenewAsync("worker-a", [first.Ref]));
        await Work.CompleteAllAsync(job, first, "worker-a", silo: "silo-a");
        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.Running, 0, 2), (status.State, status.Done, status.InProgress));

        // A stale result under B's lease id but A's name is not B's either.
        await job.CompleteAsync(Work.Result(second, "worker-a", second.Images.Select(i => Work.Segmented(i, "silo-a"))));
        Assert.Equal(0, (await job.GetStatusAsync()).Done);

        await Work.CompleteAllAsync(job, second, "worker-b", silo: "silo-b");
        status = await job.GetStatusAsync();
        Assert.Equal((JobState.Completed, 2, 0), (status.State, status.Done, status.Failed));
        var report = await Work.ReadReportAsync(status.Spec!.Output);
        Assert.Equal(new Dictionary<string, int> { ["silo-b"] = 2 }, report.ImagesBySilo);
        Assert.Equal(id, report.JobId);
    }

    [Fact]
    public async Task RenewingInTimeKeepsTheLease()
    {
        var (_, job) = await SubmitAsync(2);
        var held = Assert.Single(await job.LeaseAsync("worker-a", 1));

        for (var i = 0; i < 3; i++)
        {
            cluster.Clock.Advance(Lease * 0.6);
            Assert.Empty(await job.RenewAsync("worker-a", [held.Ref]));
            Assert.Empty(await job.LeaseAsync("worker-b", 1));
        }

        await Work.CompleteAllAsync(job, held, "worker-a");
        Assert.Equal(JobState.Completed, (await job.GetStatusAsync()).State);
    }

    [Fact]
    public async Task OnlyTheHolderCanRenewALease()
    {
        var (_, job) = await SubmitAsync(2);
        var held = Assert.Single(await job.LeaseAsync("worker-a", 1));
        var forged = held.Ref with { LeaseId = Guid.NewGuid() };

        Assert.Equal([held.Ref], await job.RenewAsync("worker-b", [held.Ref]));
        Assert.Equal([forged], await job.RenewAsync("worker-a", [forged]));

        // B's failed renewals did not extend anything: A's lease still ends on time.
        cluster.Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Single(await job.LeaseAsync("worker-b", 1));
    }

    [Fact]
    public async Task ARenewalSentInTimeIsHeardWhileTheJobWaitsOnItsStorage()
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, ["img-0.png", "img-1.png"]);
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(input, cluster.Temp.File(id + "-out"), shardSize: 1));
        var held = Assert.Single(await job.LeaseAsync("worker-a", 1));
        cluster.Clock.Advance(Lease * 0.8);

        // B's lease waits on a page write that storage is slow to take; C asks for work behind it, and A renews behind C.
        var storage = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = cluster.Storage.HoldWrites(cluster.Client.GetGrain<IJobPageGrain>(0, id).GetGrainId(), storage.Task);
        var leasingB = job.LeaseAsync("worker-b", 1);
        await waiting;
        cluster.Clock.Advance(Lease * 0.15);
        var leasingC = job.LeaseAsync("worker-c", 1);
        // Calls to a grain are not ordered: this gives C's time to arrive first, as it would from its silo.
        await Task.Delay(200);
        var renewing = job.RenewAsync("worker-a", [held.Ref]);
        try
        {
            // A renewed before its lease ran out: it is answered while the job still waits on storage, and keeps its shard.
            Assert.Same(renewing, await Task.WhenAny(renewing, Task.Delay(TimeSpan.FromSeconds(10))));
            Assert.Empty(await renewing);
            cluster.Clock.Advance(Lease * 0.15);
        }
        finally
        {
            storage.TrySetResult();
        }

        Assert.Single(await leasingB);
        Assert.Empty(await leasingC);
        Assert.Empty(await job.RenewAsync("worker-a", [held.Ref]));

        await Work.CompleteAllAsync(job, held, "worker-a");
        Assert.Equal(0, (await job.GetStatusAsync()).Failed);
    }

    private async Task<(string Id, IJobGrain Job)> SubmitAsync(int images)
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, [.. Enumerable.Range(0, images).Select(i => $"img-{i}.png")]);
        var job = cluster.Job(id);
        Assert.Equal(JobState.Running, (await job.SubmitAsync(Work.Spec(input, cluster.Temp.File(id + "-out"), shardSize: images))).State);
        return (id, job);
    }
}
