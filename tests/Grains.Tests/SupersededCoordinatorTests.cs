using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// While silos join or leave, Orleans can run a job's coordinator on two silos for a moment. Storage
/// refuses the write of the copy that read the job before the other wrote it: that copy must stop
/// counting the job in its silo's metrics at once (or an autoscaler counts its images twice) and leave,
/// so that the job is answered from what the live copy stored.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class SupersededCoordinatorTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task ACoordinatorWhoseJobWasWrittenElsewhereStopsCountingItAndLeaves()
    {
        // A job whose planning was cut short: it is planned again, in a timer, when its coordinator activates.
        var id = Work.NewJobId();
        var spec = Work.Spec(cluster.Temp.Folder(id, ["a.png", "b.png"]), cluster.Temp.File(id + "-out"));
        var job = cluster.Job(id);
        var submitted = cluster.Clock.GetUtcNow();
        cluster.Storage.Store(job.GetGrainId(), new JobRecord { Spec = spec, State = JobState.Planning, Submitted = submitted });
        var release = new TaskCompletionSource();
        var writing = cluster.Storage.HoldWrites(job.GetGrainId(), release.Task);
        Assert.Equal(JobState.Planning, (await job.GetStatusAsync()).State);
        await writing.WaitAsync(TimeSpan.FromSeconds(10));

        // Meanwhile a copy on another silo cancelled it; then the first copy's write of its plan reaches storage.
        cluster.Storage.Store(job.GetGrainId(), new JobRecord { Spec = spec, State = JobState.Cancelled, Submitted = submitted, Finished = submitted });
        release.SetResult();

        var counted = Gauge.ReadAll("unetpp.images.waiting", "job_id", id);
        for (var tries = 0; counted.Count > 0 && tries < 100; tries++)
        {
            await Task.Delay(50);
            counted = Gauge.ReadAll("unetpp.images.waiting", "job_id", id);
        }

        Assert.Empty(counted);
        Assert.Equal(JobState.Cancelled, (await job.GetStatusAsync()).State);
        Assert.Equal([0], Gauge.ReadAll("unetpp.images.waiting", "job_id", id));
    }
}
