using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// <c>unetpp.images.waiting</c>, what an autoscaler reads: a running job's images that no worker
/// holds, as the coordinator's silo reports it while workers lease, hand back and finish shards.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class ImagesWaitingTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task ImagesWaitUntilLeasedAndWaitAgainWhenHandedBack()
    {
        var (id, job) = await cluster.SubmitAsync(10, shardSize: 2);
        Assert.Equal(10, Waiting(id));

        var leases = await job.LeaseAsync("worker-a", 2);
        Assert.Equal(6, Waiting(id));

        await job.ReleaseAsync("worker-a", [leases[0].Ref]);
        Assert.Equal(8, Waiting(id));

        await Work.CompleteAllAsync(job, leases[1], "worker-a");
        Assert.Equal(8, Waiting(id));

        foreach (var lease in await job.LeaseAsync("worker-b", 10))
        {
            await Work.CompleteAllAsync(job, lease, "worker-b");
        }

        Assert.Equal(JobState.Completed, (await job.GetStatusAsync()).State);
        Assert.Equal(0, Waiting(id));
    }

    [Fact]
    public async Task ACancelledJobHasNothingWaiting()
    {
        var (id, job) = await cluster.SubmitAsync(6, shardSize: 2);
        await job.LeaseAsync("worker-a", 1);

        // Its workers finish what they hold, and lease nothing more.
        var status = await job.CancelAsync();

        Assert.True(status.Cancelling, "the job did not wait for its shard being written");
        Assert.Equal(0, Waiting(id));
    }

    /// <summary>The job's <c>unetpp.images.waiting</c> as a scrape would read it now, from the one silo that reports it.</summary>
    private static int Waiting(string jobId) => Gauge.Read("unetpp.images.waiting", "job_id", jobId);
}
