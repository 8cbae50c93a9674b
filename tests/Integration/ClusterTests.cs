using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// The whole system as it is deployed: silo processes joined through Azure Table storage (Azurite),
/// data and job state in Azure Blob storage, jobs driven from this process through the silos' gateways.
/// Every cluster run must reproduce the one-silo run's masks byte for byte, whatever happens to its silos.
/// </summary>
[Collection(IntegrationGroup.Name)]
public sealed class ClusterTests(IntegrationFixture fixture)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task OneSiloSegmentsEveryGoodImageAndListsTheCorruptOnes()
    {
        var outcome = await fixture.ReferenceAsync();

        Check(outcome.Logs, () =>
        {
            AssertFinishedWithOnlyTheCorruptImagesFailed(outcome.Status);
            var expected = Dataset.Good.Select(i => Dataset.MaskOf(i.Name)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, outcome.Masks.Keys.Order(StringComparer.Ordinal));
            Assert.Equal([JobReport.OwnerFileName, .. expected, JobReport.PageFileName, JobReport.FileName], outcome.Files.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, width, height) in Dataset.Good)
            {
                using var mask = Image.NewFromBuffer(outcome.Masks[Dataset.MaskOf(name)], failOn: Enums.FailOn.Error);
                Assert.Equal((width, height, 1), (mask.Width, mask.Height, mask.Bands));
            }

            var report = outcome.Report!;
            Assert.Equal(JobState.CompletedWithFailures, report.State);
            Assert.Equal(new ReportCounts(Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count), report.Counts);
            AssertCorruptFailures(report.Failures);
            Assert.Equal(Dataset.GoodCount, report.Images.Count);
            Assert.Equal(Dataset.GoodCount, report.ImagesBySilo.Values.Sum());

            // The large image went through regions: the tiles on the cuts were computed by both sides,
            // so it took more than the 7 × 6 tiles that cover 330×290 in 64-pixel tiles at stride 48.
            var large = Assert.Single(report.Images, i => (i.Width, i.Height) == (Dataset.LargeWidth, Dataset.LargeHeight));
            Assert.True(large.Tiles > 7 * 6, $"{large.Name}: {large.Tiles} tiles");
        });
    }

    [Fact]
    public async Task ThreeSilosShareTheJobAndWriteTheSameMasks()
    {
        var reference = await fixture.ReferenceAsync();
        await WithClusterAsync("three", 3, async (cluster, deadline) =>
        {
            var outcome = await fixture.RunJobAsync(cluster, "out-three", onStatus: null, deadline);

            AssertSameAsReference(reference, outcome);
            var report = outcome.Report!;
            Assert.Equal(Dataset.GoodCount, report.ImagesBySilo.Values.Sum());
            Assert.True(report.ImagesBySilo.Count > 1, $"One silo did all the work: {string.Join(", ", report.ImagesBySilo)}.");
            Assert.All(report.ImagesBySilo.Keys, silo => cluster.SiloAt(silo));

            // A graceful stop (SIGTERM) ends every silo cleanly.
            var codes = await cluster.StopAsync();
            Assert.All(codes, code => Assert.True(code.Value == 0, $"{code.Key} exited with {code.Value} after SIGTERM."));
        });
    }

    [Fact]
    public async Task AKilledWorkerSilosShardsAreRedoneElsewhere()
    {
        var reference = await fixture.ReferenceAsync();
        await WithClusterAsync("kill", 3, async (cluster, deadline) =>
        {
            SiloProcess? victim = null;
            JobStatus? atKill = null;
            var outcome = await fixture.RunJobAsync(cluster, "out-kill", async status =>
            {
                if (!MidJob(status))
                {
                    return false;
                }

                // A silo other than the job's coordinator, holding shards if the cluster view says which does.
                var workers = await cluster.Client.GetWorkersAsync();
                var others = cluster.Silos.Where(s => s.Endpoint != status.Coordinator).ToList();
                victim = others.FirstOrDefault(s => workers.Any(w => w.Silo == s.Endpoint && w.Shards.Count > 0)) ?? others[0];
                atKill = status;
                victim.Kill();
                return true;
            }, deadline);

            Assert.NotNull(victim);
            Assert.True(victim.HasExited);
            Assert.True(atKill!.Done + atKill.Failed < atKill.Total, $"The job was already over when the silo was killed: {IntegrationFixture.Describe(atKill)}.");
            AssertSameAsReference(reference, outcome);
        });
    }

    [Fact]
    public async Task KillingTheCoordinatorsSiloMovesTheJobAndItStillFinishes()
    {
        var reference = await fixture.ReferenceAsync();
        await WithClusterAsync("coordinator", 3, async (cluster, deadline) =>
        {
            SiloProcess? victim = null;
            JobStatus? atKill = null;
            var outcome = await fixture.RunJobAsync(cluster, "out-coordinator", status =>
            {
                if (!MidJob(status))
                {
                    return Task.FromResult(false);
                }

                atKill = status;
                victim = cluster.SiloAt(status.Coordinator!);
                victim.Kill();
                return Task.FromResult(true);
            }, deadline);

            Assert.NotNull(victim);
            Assert.True(atKill!.Done + atKill.Failed < atKill.Total, $"The job was already over when the silo was killed: {IntegrationFixture.Describe(atKill)}.");
            Assert.NotEqual(victim.Endpoint, outcome.Status.Coordinator);
            AssertSameAsReference(reference, outcome);
        });
    }

    [Fact]
    public async Task ACancelledJobStopsAndLeavesOnlyWholeMasks()
    {
        var reference = await fixture.ReferenceAsync();
        await WithClusterAsync("cancel", 2, async (cluster, deadline) =>
        {
            JobStatus? cancelled = null;
            var outcome = await fixture.RunJobAsync(cluster, "out-cancel", async status =>
            {
                if (status.Done < Dataset.GoodCount / 10)
                {
                    return false;
                }

                cancelled = await cluster.Client.CancelAsync(status.JobId);
                return true;
            }, deadline);

            Assert.Equal(JobState.Cancelled, cancelled!.State);
            Assert.Equal(JobState.Cancelled, outcome.Status.State);
            Assert.True(cancelled.Done < Dataset.GoodCount, $"The job was over before it was cancelled: {IntegrationFixture.Describe(cancelled)}.");

            // Shards in flight stop once their workers hear of the cancel (at their next renewal); after that nothing is written.
            await Task.Delay(IntegrationFixture.LeaseDuration, deadline);
            var settled = await fixture.ReadOutputAsync("out-cancel", deadline);
            await Task.Delay(TimeSpan.FromSeconds(3), deadline);
            var later = await fixture.ReadOutputAsync("out-cancel", deadline);
            Assert.Equal(settled.Keys, later.Keys);

            Assert.True(later.Count(f => f.Key.StartsWith("masks/", StringComparison.Ordinal)) < Dataset.GoodCount, "Every mask was written although the job was cancelled.");
            Assert.Equal(outcome.Status.JobId, System.Text.Encoding.UTF8.GetString(later[JobReport.OwnerFileName]));
            foreach (var (name, bytes) in later.Where(f => f.Key != JobReport.OwnerFileName))
            {
                Assert.False(name.Contains("tmp", StringComparison.OrdinalIgnoreCase) || name.Split('/').Any(part => part.StartsWith('.')), $"A temporary file was left: {name}.");
                if (name == JobReport.FileName)
                {
                    Assert.Equal(JobState.Cancelled, JobReport.FromJson(System.Text.Encoding.UTF8.GetString(bytes)).State);
                    continue;
                }

                if (name == JobReport.PageFileName)
                {
                    Assert.Contains("<span class=\"state bad\">Cancelled</span>", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
                    continue;
                }

                Assert.StartsWith("masks/", name, StringComparison.Ordinal);
                using (var mask = Image.NewFromBuffer(bytes, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error))
                {
                    Assert.True(mask.Avg() >= 0, name); // decodes every pixel: a cut-off PNG fails here
                }

                Assert.True(reference.Masks.TryGetValue(name, out var expected) && expected.AsSpan().SequenceEqual(bytes), $"{name} differs from the one-silo run's.");
            }
        });
    }

    private static bool MidJob(JobStatus status) =>
        status.State == JobState.Running && status.Done + status.Failed >= status.Total / 5 && status.Total > 0;

    /// <summary>Runs a test on a fresh cluster within the test's time limit; a failure carries the silos' logs, and every silo is stopped whatever happens.</summary>
    private async Task WithClusterAsync(string name, int silos, Func<SiloCluster, CancellationToken, Task> test)
    {
        using var deadline = new CancellationTokenSource(TestTimeout);
        await using var cluster = await SiloCluster.StartAsync(fixture.Silos, $"it-{name}", silos, deadline.Token);
        try
        {
            await test(cluster, deadline.Token);
        }
        catch (Exception ex)
        {
            throw new ClusterTestException($"{ex.Message}\n\n{cluster.Logs()}", ex);
        }
    }

    private static void Check(string logs, Action assertions)
    {
        try
        {
            assertions();
        }
        catch (Exception ex)
        {
            throw new ClusterTestException($"{ex.Message}\n\n{logs}", ex);
        }
    }

    private static void AssertFinishedWithOnlyTheCorruptImagesFailed(JobStatus status)
    {
        Assert.True(status.State == JobState.CompletedWithFailures, $"The job ended {IntegrationFixture.Describe(status)}.");
        Assert.Equal((Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count), (status.Total, status.Done, status.Failed));
        AssertCorruptFailures(status.Failures);
    }

    private static void AssertCorruptFailures(IReadOnlyList<ImageFailure> failures)
    {
        Assert.Equal(Dataset.Corrupt.Keys.Order(StringComparer.Ordinal), failures.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (var failure in failures)
        {
            Assert.Contains(Dataset.Corrupt[failure.Name], failure.Reason, StringComparison.Ordinal);
        }
    }

    private static void AssertSameAsReference(JobOutcome reference, JobOutcome outcome)
    {
        AssertFinishedWithOnlyTheCorruptImagesFailed(outcome.Status);
        var missing = reference.Masks.Keys.Except(outcome.Masks.Keys).ToList();
        var extra = outcome.Files.Keys.Except(reference.Files.Keys).ToList();
        var different = reference.Masks.Where(m => outcome.Masks.TryGetValue(m.Key, out var bytes) && !bytes.AsSpan().SequenceEqual(m.Value)).Select(m => m.Key).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} mask(s) missing: {string.Join(", ", missing.Take(10))}");
        Assert.True(extra.Count == 0, $"{extra.Count} unexpected file(s): {string.Join(", ", extra.Take(10))}");
        Assert.True(different.Count == 0, $"{different.Count} mask(s) differ from the one-silo run's: {string.Join(", ", different.Take(10))}");
        Assert.NotNull(outcome.Report);
        Assert.Equal(new ReportCounts(Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count), outcome.Report.Counts);
    }
}
