using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>Cancelling stops the handing out of shards, tells holders their shards are gone, and still writes the report.</summary>
[Collection(CoordinatorGroup.Name)]
public sealed class CancelTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task ACancelledJobHandsOutNothingLosesEveryLeaseAndWritesItsReport()
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, "a.png", "b.png", "c.png", "d.png", "e.png");
        var output = cluster.Temp.File(id + "-out");
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(input, output, shardSize: 1));
        var held = await job.LeaseAsync("worker-a", 2);
        await Work.CompleteAllAsync(job, held[0], "worker-a");
        var stillHeld = (await job.LeaseAsync("worker-a", 2)).Append(held[1]).ToList();

        var status = await job.CancelAsync();

        Assert.Equal(JobState.Cancelled, status.State);
        Assert.True(status.IsFinished);
        Assert.NotNull(status.Finished);
        Assert.Equal((1, 0), (status.Done, status.InProgress));
        Assert.Empty(await job.LeaseAsync("worker-b", 5));
        var lost = await job.RenewAsync("worker-a", [.. stillHeld.Select(l => l.Ref)]);
        Assert.Equal(stillHeld.Select(l => l.Ref).ToHashSet(), lost.ToHashSet());
        Assert.DoesNotContain(id, await cluster.Queue.GetActiveAsync());

        // Late results of a cancelled job change nothing.
        await Work.CompleteAllAsync(job, stillHeld[0], "worker-a");
        Assert.Equal(1, (await job.GetStatusAsync()).Done);

        var report = await Work.ReadReportAsync(output);
        Assert.Equal(JobState.Cancelled, report.State);
        Assert.Equal(new ReportCounts(5, 1, 0), report.Counts);
        Assert.Equal(["a.png"], report.Images.Select(i => i.Name));

        // Cancelling again, or cancelling after the end, is a no-op.
        Assert.Equal(JobState.Cancelled, (await job.CancelAsync()).State);
    }

    [Fact]
    public async Task CancellingAFinishedJobLeavesItFinished()
    {
        var id = Work.NewJobId();
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(cluster.Temp.Folder(id, "a.png"), cluster.Temp.File(id + "-out")));
        await Work.CompleteAllAsync(job, Assert.Single(await job.LeaseAsync("worker-a", 1)), "worker-a");

        Assert.Equal(JobState.Completed, (await job.CancelAsync()).State);
        Assert.Equal(JobState.Unknown, (await cluster.Job(Work.NewJobId()).CancelAsync()).State);
    }
}
