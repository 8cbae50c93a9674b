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

    private (string Input, string Output) Locations()
    {
        var name = "owner-" + Guid.NewGuid().ToString("N");
        return (cluster.Temp.Folder(name, "a.png", "b.png"), cluster.Temp.File(name + "-out"));
    }
}
