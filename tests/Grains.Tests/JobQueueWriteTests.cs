using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// A job reaches the cluster's queue, where workers find it, whatever the queue's storage does meanwhile: a
/// write another activation of the queue made first, or a write that fails.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class JobQueueWriteTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task AJobIsQueuedBesideWhatAnotherActivationOfTheQueueWroteFirst()
    {
        // Another activation of the queue (two live for a moment while membership changes) wrote the list
        // since this one read it: this one's next write is refused as stale.
        var other = Work.NewJobId();
        var stored = await cluster.Queue.ListAsync();
        cluster.Storage.Store(cluster.Queue.GetGrainId(), new JobQueueRecord { Jobs = [.. stored, new JobEntry(other, DateTimeOffset.UnixEpoch, Active: true)] });

        var (id, _) = await cluster.SubmitAsync(images: 8, shardSize: 8);

        var active = await cluster.Queue.GetActiveAsync();
        await cluster.Queue.RetireAsync(other);
        Assert.Contains(id, active);
        Assert.Contains(other, active);
    }

    [Fact]
    public async Task AJobTheQueueCouldNotTakeIsQueuedWhenItCan()
    {
        await cluster.Queue.ListAsync();
        cluster.Storage.FailWrites(cluster.Queue.GetGrainId(), times: 2);

        var (id, job) = await cluster.SubmitAsync(images: 8, shardSize: 8);
        var atOnce = await cluster.Queue.GetActiveAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(await cluster.Queue.GetActiveAsync()).Contains(id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        // Not listed while its writes failed (the queue lists what storage holds), then listed, and stored:
        // a queue that moves to another silo lists it too.
        Assert.DoesNotContain(id, atOnce);
        Assert.Contains(id, await cluster.Queue.GetActiveAsync());
        await cluster.DeactivateAsync(cluster.Queue);
        Assert.Contains(id, await cluster.Queue.GetActiveAsync());
        Assert.Equal(JobState.Running, (await job.GetStatusAsync()).State);
    }
}
