using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>
/// A real <c>unetpp-train</c> process stopped with Ctrl-C mid-training: it stops at the end of the batch it
/// is on, however long that batch takes, says so, and exits 130.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class TrainInterruptTests : IDisposable
{
    private readonly string _folder = TrainingTestKit.TempDirectory();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task CtrlCStopsTrainingWithInterrupted()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var data = Path.Combine(_folder, "data");
        SyntheticNuclei.Write(data, count: 4, width: 256, height: 256, seed: 2);

        // Large crops in large batches on one thread: a batch takes seconds, longer than a fixed grace would wait.
        await using var train = CommandLineProcess.Start(
            ["--data", data, "--out", Path.Combine(_folder, "run"), "--size", "256", "--batch", "8", "--epochs", "100", "--threads", "1"],
            program: RepoPaths.TrainDll);
        await train.WaitForTextAsync("Training on", deadline.Token);

        await train.SignalAsync("INT");
        var exitCode = await train.WaitForExitAsync(deadline.Token);

        Assert.True(exitCode == ExitCodes.Interrupted, $"exit {exitCode}\n{train.Describe()}");
        Assert.Contains("interrupted.", train.Error, StringComparison.Ordinal);
    }
}
