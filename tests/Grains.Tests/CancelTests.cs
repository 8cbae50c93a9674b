using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>Cancelling stops the handing out of shards, waits a short while for the images being written, and writes the report.</summary>
[Collection(CoordinatorGroup.Name)]
public sealed class CancelTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task ACancelledJobHandsOutNothingCountsTheImagesBeingWrittenAndThenWritesItsReport()
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

        // The workers finish what they are writing: the job waits for it rather than ignoring it.
        Assert.False(status.IsFinished);
        Assert.True(status.Cancelling);
        Assert.Empty(await job.LeaseAsync("worker-b", 5));
        Assert.DoesNotContain(id, await cluster.Queue.GetActiveAsync());
        Assert.Empty(await job.RenewAsync("worker-a", [.. stillHeld.Select(l => l.Ref)]));

        await Work.CompleteAllAsync(job, stillHeld[0], "worker-a");
        await Work.CompleteAllAsync(job, stillHeld[1], "worker-a");
        Assert.False((await job.GetStatusAsync()).IsFinished);
        await Work.CompleteAllAsync(job, stillHeld[2], "worker-a");

        status = await job.GetStatusAsync();
        Assert.Equal(JobState.Cancelled, status.State);
        Assert.False(status.Cancelling);
        Assert.NotNull(status.Finished);
        Assert.Equal((4, 0), (status.Done, status.InProgress));
        var report = await Work.ReadReportAsync(output);
        Assert.Equal(JobState.Cancelled, report.State);
        Assert.Equal(new ReportCounts(5, 4, 0), report.Counts);
        Assert.Equal(["a.png", "b.png", "c.png", "d.png"], report.Images.Select(i => i.Name));

        // Cancelling again, or cancelling after the end, is a no-op.
        Assert.Equal(JobState.Cancelled, (await job.CancelAsync()).State);
    }

    [Fact]
    public async Task ACancelledJobWhoseWorkersDoNotAnswerEndsAfterTheDrainAndIgnoresTheirLateResults()
    {
        var id = Work.NewJobId();
        var output = cluster.Temp.File(id + "-out");
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(cluster.Temp.Folder(id, "a.png", "b.png"), output, shardSize: 1, leaseSeconds: 1));
        var held = Assert.Single(await job.LeaseAsync("worker-a", 1));

        await job.CancelAsync();
        var status = await Work.WaitUntilFinishedAsync(job, TimeSpan.FromSeconds(60));
        await Work.CompleteAllAsync(job, held, "worker-a");

        Assert.Equal(JobState.Cancelled, status.State);
        Assert.Equal(0, (await job.GetStatusAsync()).Done);
        Assert.Equal(new ReportCounts(2, 0, 0), (await Work.ReadReportAsync(output)).Counts);
    }

    [Fact]
    public async Task AJobCancelledWhileBeingPlannedWhoseCoordinatorDiedEndsCancelledInsteadOfBeingPlannedAgain()
    {
        // What a coordinator that died between storing the cancel and ending the job leaves (its input's storage was out).
        var id = Work.NewJobId();
        var output = cluster.Temp.File(id + "-out");
        var spec = Work.Spec(cluster.Temp.Folder(id, "a.png", "b.png"), output);
        var job = cluster.Job(id);
        var now = cluster.Clock.GetUtcNow();
        cluster.Storage.Store(job.GetGrainId(), new JobRecord { Spec = spec, State = JobState.Planning, Submitted = now, CancelRequested = now });

        var status = await job.GetStatusAsync();
        for (var tries = 0; !status.IsFinished && tries < 100; tries++)
        {
            await Task.Delay(50);
            status = await job.GetStatusAsync();
        }

        Assert.Equal((JobState.Cancelled, 0, 0), (status.State, status.Total, status.Done));
        Assert.Empty(await job.LeaseAsync("worker-a", 4));
        Assert.Equal(new ReportCounts(0, 0, 0), (await Work.ReadReportAsync(output)).Counts);
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
