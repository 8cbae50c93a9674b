using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// The cluster sized by the work waiting, as KEDA sizes it in Kubernetes: silos start while images
/// wait and are stopped with SIGTERM as the work runs out, some of them while they hold shards. The
/// job must come out as the one-silo run made it, every image once, whatever the scaler did.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class AutoscaleTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// One silo always (the gateway), three at most. A silo holds two shards of ten images, so forty
    /// waiting images are two rounds of work for it: worth another silo. Scale in after 1.5 s of wanting fewer.
    /// </summary>
    private static readonly ScalingRules Rules = new(Min: 1, Max: 3, ImagesPerSilo: 40, Poll: TimeSpan.FromMilliseconds(250), ScaleInAfter: 6);

    [Fact]
    public async Task SilosFollowTheWorkWaitingAndTheJobComesOutAsOnOneSilo()
    {
        var reference = await fixture.ReferenceAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await using var cluster = await SiloCluster.StartAsync(fixture.Silos, "it-autoscale", Rules.Min, deadline.Token);
        using var scaler = new Autoscaler(cluster, Rules);
        using var stopScaling = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var scaling = scaler.RunAsync(stopScaling.Token);
        try
        {
            var outcome = await fixture.RunJobAsync(cluster, "out-autoscale", onStatus: null, deadline.Token);

            // The scaler goes on until the cluster is back at its minimum and every stopped silo has exited.
            while (scaler.Capacity.Count > Rules.Min || scaler.Starting || scaler.Stopped.Any(s => !s.Exit.IsCompleted))
            {
                await Task.Delay(Rules.Poll, deadline.Token);
            }

            await stopScaling.CancelAsync();
            await scaling;
            Report(scaler);

            JobAssertions.SameAsReference(reference, outcome);
            var report = outcome.Report!;
            Assert.Equal(Dataset.GoodCount, report.Images.Select(i => i.Name).Distinct(StringComparer.Ordinal).Count());
            Assert.Equal(Dataset.GoodCount, report.Images.Count);
            Assert.DoesNotContain(outcome.Files.Keys, name => name.StartsWith(".parts/", StringComparison.Ordinal));

            // It scaled out on the waiting work, never past its maximum, and back in with SIGTERM to its minimum.
            var most = scaler.Steps.Max(s => s.Silos);
            Assert.True(most >= 2, $"The cluster never grew beyond one silo: {scaler.Timeline()}");
            Assert.True(most <= Rules.Max, $"The cluster grew past {Rules.Max} silos: {scaler.Timeline()}");
            Assert.Equal(0, scaler.Steps[^1].Waiting);
            Assert.Equal(Rules.Min, scaler.Steps[^1].Silos);
            Assert.NotEmpty(scaler.Stopped);
            Assert.All(scaler.Stopped, s => Assert.True(s.Exit.Result == 0, $"{s.Silo.Name} exited with {s.Exit.Result} after SIGTERM."));
        }
        catch (Exception ex)
        {
            throw new ClusterTestException($"{ex.Message}\nsilos over time: {scaler.Timeline()}\n\n{cluster.Logs()}", ex);
        }
        finally
        {
            await stopScaling.CancelAsync();
            await scaling;
        }
    }

    private void Report(Autoscaler scaler)
    {
        output.WriteLine($"silos over time (seconds from the first poll: silos counted as capacity): {scaler.Timeline()}");
        foreach (var step in scaler.Steps.Where(s => s.Action is not null))
        {
            output.WriteLine(FormattableString.Invariant($"  {step.At.TotalSeconds,6:F1} s  {step.Waiting,4} images waiting  {step.Action}"));
        }

        foreach (var (at, jobId, silos) in scaler.ReportedByTwo)
        {
            output.WriteLine(FormattableString.Invariant($"  {at.TotalSeconds,6:F1} s  job {jobId} reported by {string.Join(" and ", silos)} (counted once)"));
        }

        var ran = scaler.Steps[^1].At.TotalSeconds;
        var siloSeconds = scaler.Steps.Zip(scaler.Steps.Skip(1), (a, b) => a.Silos * (b.At - a.At).TotalSeconds).Sum();
        output.WriteLine(FormattableString.Invariant($"  {ran:F1} s in all, {siloSeconds:F0} silo-seconds"));
    }
}
