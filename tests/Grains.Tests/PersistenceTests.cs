using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>The job grain keeps its plan, leases and results in grain storage, so a fresh activation carries on.</summary>
[Collection(CoordinatorGroup.Name)]
public sealed class PersistenceTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task AReactivatedJobKeepsItsProgressAndItsLeases()
    {
        var id = Work.NewJobId();
        var output = cluster.Temp.File(id + "-out");
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(cluster.Temp.Folder(id, "a.png", "b.png", "c.png", "d.png", "e.png"), output, shardSize: 2, maxAttempts: 2));
        var leases = await job.LeaseAsync("worker-a", 2);
        await Work.CompleteAllAsync(job, leases[0], "worker-a");
        await job.CompleteAsync(Work.Result(leases[1], "worker-a", [Work.Failed(leases[1].Images[0], "busy", retryable: true), Work.Segmented(leases[1].Images[1])]));
        var held = Assert.Single(await job.LeaseAsync("worker-b", 1));
        Assert.Equal([leases[1].Images[0]], held.Images); // the retry comes first
        var before = await job.GetStatusAsync();

        await cluster.DeactivateAsync(job);

        var after = await job.GetStatusAsync();
        Assert.Equal((before.State, before.Total, before.Done, before.Failed, before.InProgress), (after.State, after.Total, after.Done, after.Failed, after.InProgress));
        Assert.Equal(before.Spec, after.Spec);
        Assert.Equal(before.Started, after.Started);
        Assert.Contains(id, await cluster.Queue.GetActiveAsync());

        // worker-b still holds its shard, and the image's first attempt still counts: this one is its last.
        Assert.Empty(await job.RenewAsync("worker-b", [held.Ref]));
        await job.CompleteAsync(Work.Result(held, "worker-b", [Work.Failed(held.Images[0], "busy", retryable: true)]));
        await Work.CompleteAllAsync(job, Assert.Single(await job.LeaseAsync("worker-a", 2)), "worker-a");

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, 4, 1), (status.State, status.Done, status.Failed));
        Assert.Equal($"{held.Images[0]}: busy (after 2 attempts)", $"{status.Failures[0].Name}: {status.Failures[0].Reason}");
        Assert.Equal(new ReportCounts(5, 4, 1), (await Work.ReadReportAsync(output)).Counts);
    }
}
