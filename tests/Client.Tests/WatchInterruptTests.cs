using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Synthetic;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// A real <c>unetpp watch</c> process following a job on a real silo process, stopped with Ctrl-C: it
/// stops watching only, says how to follow the job again, exits 130, and the job runs on to its end.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class WatchInterruptTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CtrlCStopsWatchingAndTheJobGoesOn()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        SyntheticNuclei.Write(_temp.Path, 24, 256, 256, seed: 6);
        var setup = new SiloClusterSetup(azurite.ConnectionString, "data", _temp.Path, new Dictionary<string, string>
        {
            ["Inference__Threads"] = "1",
            ["Inference__PollInterval"] = "00:00:00.200",
        });
        await using var cluster = await SiloCluster.StartAsync(setup, "watch", silos: 1, deadline.Token);
        var jobId = SegmentationClient.NewJobId();
        await cluster.Client.SubmitAsync(jobId, new JobSpec { Input = Path.Combine(_temp.Path, "images"), Output = _temp.File("out"), ShardSize = 2 });

        await using var watch = CommandLineProcess.Start(
            ["watch", jobId, "--cluster-id", cluster.Id],
            new Dictionary<string, string> { [ClusterConnectionOptions.ClusterStorageVariable] = azurite.ConnectionString });
        await watch.WaitForTextAsync($"{jobId}: Running", deadline.Token);
        await watch.SignalAsync("INT");
        var exitCode = await watch.WaitForExitAsync(deadline.Token);

        Assert.True(exitCode == ExitCodes.Interrupted, $"exit {exitCode}\n{watch.Describe()}");
        Assert.Contains("interrupted.", watch.Error, StringComparison.Ordinal);
        Assert.Contains($"unetpp watch {jobId}", watch.Error, StringComparison.Ordinal);
        Assert.Contains($"unetpp cancel {jobId}", watch.Error, StringComparison.Ordinal);

        var status = await cluster.Client.GetStatusAsync(jobId);
        while (!status.IsFinished)
        {
            await Task.Delay(200, deadline.Token);
            status = await cluster.Client.GetStatusAsync(jobId);
        }

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(24, status.Done);
    }
}
