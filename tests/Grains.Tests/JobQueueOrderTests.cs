using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// The job queue hands workers the running jobs by priority, a waiting job rising a step per
/// <c>Jobs:PriorityAgeing</c>, and keeps each job's priority with its entry.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class JobQueueOrderTests(CoordinatorFixture cluster)
{
    private static readonly TimeSpan Step = new JobOptions().PriorityAgeing;

    [Fact]
    public async Task JobsComeHighestPriorityFirstAndALowOneOvertakesAfterItsAgeingBound()
    {
        var low = await SubmitAsync(JobPriority.Low);
        var normal = await SubmitAsync(JobPriority.Normal);
        var high = await SubmitAsync(JobPriority.High);

        Assert.Equal([high, normal, low], await OrderAsync(low, normal, high));

        // The high and normal jobs keep getting shards; the low one has had none since it started, and
        // has risen one step: level with the normal one, which it goes before, having waited longer.
        cluster.Clock.Advance(2 * Step - TimeSpan.FromSeconds(5));
        await cluster.Queue.LeasedAsync([high, normal]);
        Assert.Equal([high, low, normal], await OrderAsync(low, normal, high));

        cluster.Clock.Advance(TimeSpan.FromSeconds(5));
        await cluster.Queue.LeasedAsync([high]);
        Assert.Equal([low, high, normal], await OrderAsync(low, normal, high));

        // Its lease starts its wait again: back behind both.
        await cluster.Queue.LeasedAsync([low]);
        Assert.Equal([high, normal, low], await OrderAsync(low, normal, high));
    }

    [Fact]
    public async Task EachJobsPriorityIsKeptInTheListAcrossARestartOfTheQueue()
    {
        var high = await SubmitAsync(JobPriority.High);
        var seven = await SubmitAsync(7);
        var low = await SubmitAsync(JobPriority.Low);

        await cluster.DeactivateAsync(cluster.Queue);

        var entries = (await cluster.Queue.ListAsync()).ToDictionary(e => e.JobId);
        Assert.Equal((JobPriority.High, 7, JobPriority.Low), (entries[high].Priority, entries[seven].Priority, entries[low].Priority));
        Assert.Equal([seven, high, low], await OrderAsync(low, seven, high));
        Assert.Equal(JobPriority.High, (await cluster.Job(high).GetStatusAsync()).Spec!.Priority);
    }

    [Fact]
    public async Task APriorityOutOfRangeIsRefusedNamingTheOption()
    {
        var id = Work.NewJobId();
        var spec = Work.Spec(cluster.Temp.Folder(id, ["a.png"]), cluster.Temp.File(id + "-out")) with { Priority = JobPriority.Highest + 1 };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => cluster.Job(id).SubmitAsync(spec));

        Assert.Equal("--priority 11: use low, normal, high or a whole number from -10 to 10.", refused.Message);
    }

    /// <summary>Only these jobs, in the queue's order: other tests' jobs share the queue.</summary>
    private async Task<List<string>> OrderAsync(params string[] jobs) =>
        [.. (await cluster.Queue.GetActiveAsync()).Where(jobs.Contains)];

    private async Task<string> SubmitAsync(int priority)
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, ["a.png", "b.png"]);
        var status = await cluster.Job(id).SubmitAsync(Work.Spec(input, cluster.Temp.File(id + "-out")) with { Priority = priority });
        Assert.Equal(JobState.Running, status.State);
        return id;
    }
}
