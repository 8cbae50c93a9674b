using Azure.Storage.Sas;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// A job whose input's storage does not answer while the job is planned: it waits, as workers wait out
/// storage (<c>Inference:StorageOutageTolerance</c>), and runs once the storage answers; past the
/// tolerance it fails, saying how long its storage did not answer. The input is reached through a proxy
/// that cuts it off; the cluster's own storage and the output are not behind it.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class InputOutageTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task PlanningWaitsOutAnInputThatDoesNotAnswerAndFailsOnlyPastTheTolerance()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var proxy = new StorageProxy(fixture.Azurite);
        var setup = fixture.Silos with
        {
            Settings = new Dictionary<string, string>(fixture.Silos.Settings)
            {
                ["Inference__StorageOutageTolerance"] = $"{Tolerance}",
                // Each listing gives up at once on a reset connection, so the coordinator's own waits are what is tested.
                ["Storage__MaxRetries"] = "0",
            },
        };
        await using var cluster = await SiloCluster.StartAsync(setup, "it-input-outage", 1, deadline.Token);
        var sas = SasAccessTests.Sas(Dataset.Container, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List);
        var input = $"{proxy.BlobEndpoint}/{Dataset.Container}/{Dataset.InputPrefix}";

        // Cut off for longer than the tolerance: the job waits it, then fails naming its input and the wait.
        proxy.CutOff(TimeSpan.FromMinutes(10));
        var given = SegmentationClient.NewJobId();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var status = await cluster.Client.SubmitAsync(given, fixture.Spec("input-outage-given-up") with { Input = $"{input}?{sas}" });
        Assert.True(status.State == JobState.Planning, IntegrationFixture.Describe(status));
        status = await FinishedAsync(cluster, given, deadline.Token);
        output.WriteLine(IntegrationFixture.Describe(status));
        Assert.True(status.State == JobState.Failed, IntegrationFixture.Describe(status) + "\n" + cluster.Logs());
        Assert.StartsWith($"{input}: its storage did not answer for ", status.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= Tolerance, $"failed after {clock.Elapsed}, before the tolerance of {Tolerance} was spent");
        Assert.DoesNotContain("sig=", status.Error, StringComparison.Ordinal);

        // Cut off when it is submitted and back before the tolerance is spent: the job runs whole.
        var waited = SegmentationClient.NewJobId();
        status = await cluster.Client.SubmitAsync(waited, fixture.Spec("input-outage-waited") with { Input = $"{input}?{sas}" });
        Assert.True(status.State == JobState.Planning, IntegrationFixture.Describe(status));
        proxy.Heal();
        status = await FinishedAsync(cluster, waited, deadline.Token);
        output.WriteLine(IntegrationFixture.Describe(status));
        Assert.True(status.State == JobState.CompletedWithFailures, IntegrationFixture.Describe(status) + "\n" + cluster.Logs());
        Assert.Equal((Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count), (status.Total, status.Done, status.Failed));
        Assert.Contains($"Job {waited}: the storage of its input did not answer", cluster.Logs(200), StringComparison.Ordinal);
    }

    private static async Task<JobStatus> FinishedAsync(SiloCluster cluster, string jobId, CancellationToken cancellationToken)
    {
        var status = await cluster.Client.GetStatusAsync(jobId);
        while (!status.IsFinished)
        {
            await Task.Delay(200, cancellationToken);
            status = await cluster.Client.GetStatusAsync(jobId);
        }

        return status;
    }
}
