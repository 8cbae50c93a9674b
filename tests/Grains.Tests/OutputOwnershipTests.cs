using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// One output holds one job's results: the same job submitted again is the same job, and another job
/// is refused before anything starts unless its user said --overwrite, even when both race.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class OutputOwnershipTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task TheSameIdSubmittedTwiceIsOneJob()
    {
        var (input, output) = Locations();
        var id = Work.NewJobId();
        var spec = Work.Spec(input, output);

        var first = await cluster.Job(id).SubmitAsync(spec);
        var again = await cluster.Job(id).SubmitAsync(spec);

        Assert.Equal((JobState.Running, 2), (first.State, first.Total));
        Assert.Equal(first.Total, again.Total);
        Assert.Equal(first.Started, again.Started);
        Assert.Equal(id, File.ReadAllText(Path.Combine(output, OutputNames.Owner)));
    }

    [Fact]
    public async Task AnotherIdOverTheSameOutputIsRefusedNamingTheOwnerUnlessItMayOverwrite()
    {
        var (input, output) = Locations();
        var owner = Work.NewJobId();
        await cluster.Job(owner).SubmitAsync(Work.Spec(input, output));

        var other = Work.NewJobId();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => cluster.Job(other).SubmitAsync(Work.Spec(input, output)));

        Assert.Contains($"holds the results of job {owner}", error.Message, StringComparison.Ordinal);
        Assert.Contains("--overwrite", error.Message, StringComparison.Ordinal);
        Assert.Contains(output, error.Message, StringComparison.Ordinal);

        // Refused means nothing started: the id is still free for a job elsewhere.
        var (elsewhereInput, elsewhere) = Locations();
        Assert.Equal(JobState.Running, (await cluster.Job(other).SubmitAsync(Work.Spec(elsewhereInput, elsewhere))).State);

        var replacing = Work.NewJobId();
        var status = await cluster.Job(replacing).SubmitAsync(Work.Spec(input, output) with { Overwrite = true });
        Assert.Equal(JobState.Running, status.State);
        Assert.Equal(replacing, File.ReadAllText(Path.Combine(output, OutputNames.Owner)));
    }

    [Fact]
    public async Task OfJobsRacingForOneOutputExactlyOneIsAccepted()
    {
        var (input, output) = Locations();
        var ids = Enumerable.Range(0, 8).Select(_ => Work.NewJobId()).ToList();

        var outcomes = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                await cluster.Job(id).SubmitAsync(Work.Spec(input, output));
                return id;
            }
            catch (ArgumentException)
            {
                return null;
            }
        }));

        var accepted = Assert.Single(outcomes, id => id is not null);
        Assert.Equal(accepted, File.ReadAllText(Path.Combine(output, OutputNames.Owner)));
    }

    [Fact]
    public async Task AnotherJobMayContinueTheOutputWithResumeAndItsReportNamesTheEarlierJob()
    {
        var (input, output) = Locations();
        var owner = Work.NewJobId();
        await cluster.Job(owner).SubmitAsync(Work.Spec(input, output));

        var resuming = Work.NewJobId();
        var job = cluster.Job(resuming);
        var status = await job.SubmitAsync(Work.Spec(input, output) with { Resume = true });
        await Work.CompleteAllAsync(job, Assert.Single(await job.LeaseAsync("worker-a", 1)), "worker-a");

        Assert.Equal(JobState.Running, status.State);
        Assert.Equal(resuming, File.ReadAllText(Path.Combine(output, OutputNames.Owner)));
        Assert.Equal(owner, (await Work.ReadReportAsync(output)).Resume!.PreviousJob);
    }

    [Fact]
    public async Task AnEndedJobSubmittedAgainRunsAgainOnlyWhenItIsToContinue()
    {
        var (input, output) = Locations();
        var id = Work.NewJobId();
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(input, output));
        await job.CancelAsync();
        var ended = await job.GetStatusAsync();

        var unchanged = await job.SubmitAsync(Work.Spec(input, output));
        var moved = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(Work.Spec(input, output + "-elsewhere") with { Resume = true }));
        var again = await job.SubmitAsync(Work.Spec(input, output) with { Resume = true });

        Assert.Equal(JobState.Cancelled, ended.State);
        Assert.Equal((JobState.Cancelled, ended.Finished), (unchanged.State, unchanged.Finished));
        Assert.Equal((JobState.Running, 2, 0), (again.State, again.Total, again.Done));
        Assert.Contains(id, await cluster.Queue.GetActiveAsync());
        Assert.Contains("can only continue there", moved.Message, StringComparison.Ordinal);
        await Work.CompleteAllAsync(job, Assert.Single(await job.LeaseAsync("worker-a", 1)), "worker-a");
        Assert.Equal((JobState.Completed, id), ((await job.GetStatusAsync()).State, (await Work.ReadReportAsync(output)).Resume!.PreviousJob));
    }

    private (string Input, string Output) Locations()
    {
        var name = "owner-" + Guid.NewGuid().ToString("N");
        return (cluster.Temp.Folder(name, "a.png", "b.png"), cluster.Temp.File(name + "-out"));
    }
}
