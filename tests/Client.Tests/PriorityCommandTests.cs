using System.Diagnostics;
using System.Text.Json;
using UNetPP.Cluster.Contracts;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// <c>submit --priority</c> on a running silo whose one worker holds two shards at a time: a high job
/// submitted while a low one runs is done first, the low one still gets shards meanwhile (its priority
/// ages a step a second there), and <c>list</c> and <c>status</c> show each job's priority.
/// </summary>
[Collection(SharedClusterSilo.Name)]
public sealed class PriorityCommandTests(ClusterSiloFixture silo, ITestOutputHelper log)
{
    /// <summary>Shards the silo's one worker holds at once (<c>Inference:ShardsPerWorker</c>'s default).</summary>
    private const int ShardsHeld = 2;

    [Fact]
    public async Task AHighJobSubmittedWhileALowOneRunsFinishesFirstAndTheLowOneStillProgresses()
    {
        var (low, high) = ($"low-{Guid.NewGuid():N}"[..12], $"high-{Guid.NewGuid():N}"[..13]);
        // The high job runs long enough (about 50 images a second here) for the low one's two steps to
        // pass several times; the low one has more images than the half of the high one's that the test
        // lets it do meanwhile.
        const int HighImages = 600;
        var lowSubmitted = await SubmitAsync(low, "low", silo.ManyImages(count: HighImages / 2 + 40, edge: 64));
        await UntilAsync(low, s => s.Done >= 1 || s.IsFinished);

        var clock = Stopwatch.StartNew();
        var highSubmitted = await SubmitAsync(high, "high", silo.ManyImages(count: HighImages, edge: 64));
        var lowAtHighStart = (await silo.Jobs.GetStatusAsync(low)).Done;
        var listed = await CliRunner.RunAsync(["list", .. silo.Cluster]);
        var highStatus = await CliRunner.RunAsync(["status", high, .. silo.Cluster]);
        var highDone = await UntilAsync(high, s => s.IsFinished);
        var lowAtHighEnd = (await silo.Jobs.GetStatusAsync(low)).Done;
        var highSeconds = clock.Elapsed.TotalSeconds;
        var lowDone = await UntilAsync(low, s => s.IsFinished);
        log.WriteLine($"high job: {HighImages} images in {highSeconds:F1} s; low job meanwhile: {lowAtHighEnd - lowAtHighStart} images, {lowDone.Total} in all");

        Assert.True(lowSubmitted.ExitCode == ExitCodes.Success && highSubmitted.ExitCode == ExitCodes.Success, lowSubmitted.Error + highSubmitted.Error);
        Assert.Equal((JobState.Completed, JobState.Completed), (highDone.State, lowDone.State));
        Assert.True(highDone.Finished < lowDone.Finished, $"high finished {highDone.Finished:O}, low {lowDone.Finished:O}");

        // The low job got shards while the high one ran, beyond those it held when it arrived; and
        // far fewer than the high one: it is served when it has waited its two steps, not in turn.
        var lowMeanwhile = lowAtHighEnd - lowAtHighStart;
        Assert.True(lowMeanwhile > ShardsHeld, $"the low job did {lowMeanwhile} images while the high one ran {highSeconds:F1} s");
        Assert.True(lowMeanwhile < HighImages / 2, $"the low job did {lowMeanwhile} images while the high one did {HighImages}");

        Assert.Contains(listed.Output.Split('\n'), line => line.StartsWith(low, StringComparison.Ordinal) && line.Contains(" low ", StringComparison.Ordinal));
        Assert.Contains(listed.Output.Split('\n'), line => line.StartsWith(high, StringComparison.Ordinal) && line.Contains(" high ", StringComparison.Ordinal));
        Assert.Contains("  Priority    high", highStatus.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APriorityGivenAsANumberIsShownAsOneAndNormalIsTheDefault()
    {
        var (numbered, plain) = ($"seven-{Guid.NewGuid():N}"[..14], $"plain-{Guid.NewGuid():N}"[..14]);

        Assert.Equal(ExitCodes.Success, (await SubmitAsync(numbered, "7", silo.Images)).ExitCode);
        var submitted = await CliRunner.RunAsync(["submit", silo.Images, "--out", silo.NewOutput(), "--model", silo.Model, "--id", plain, .. silo.Cluster]);
        Assert.True(submitted.ExitCode == ExitCodes.Success, submitted.Error);
        await UntilAsync(numbered, s => s.IsFinished);
        await UntilAsync(plain, s => s.IsFinished);

        var status = await CliRunner.RunAsync(["status", numbered, "--json", .. silo.Cluster]);
        using (var document = JsonDocument.Parse(status.Output))
        {
            Assert.Equal(7, document.RootElement.GetProperty("priority").GetInt32());
        }

        Assert.Contains("  Priority    normal", (await CliRunner.RunAsync(["status", plain, .. silo.Cluster])).Output, StringComparison.Ordinal);
        var list = await CliRunner.RunAsync(["list", "--json", .. silo.Cluster]);
        using var jobs = JsonDocument.Parse(list.Output);
        var priorities = jobs.RootElement.EnumerateArray().ToDictionary(j => j.GetProperty("jobId").GetString()!, j => j.GetProperty("priority").GetInt32());
        Assert.Equal((7, JobPriority.Normal), (priorities[numbered], priorities[plain]));
    }

    private Task<CliResult> SubmitAsync(string id, string priority, string images) =>
        CliRunner.RunAsync(["submit", images, "--out", silo.NewOutput(), "--model", silo.Model, "--shard-size", "1", "--priority", priority, "--id", id, .. silo.Cluster]);

    /// <summary>Looks at the job every 50 ms until <paramref name="until"/> holds; a job that never gets there fails the test after two minutes.</summary>
    private async Task<JobStatus> UntilAsync(string jobId, Func<JobStatus, bool> until)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var status = await silo.Jobs.GetStatusAsync(jobId);
            if (until(status))
            {
                return status;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), patience.Token);
        }
    }
}
