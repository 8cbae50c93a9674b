using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// The whole system as it is deployed: silo processes joined through Azure Table storage (Azurite),
/// data and job state in Azure Blob storage, jobs driven from this process through the silos' gateways.
/// Every cluster run must reproduce the one-silo run's masks byte for byte, whatever happens to its silos.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class ClusterTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task OneSiloSegmentsEveryGoodImageAndListsTheCorruptOnes()
    {
        var outcome = await fixture.ReferenceAsync();

        Check(outcome.Logs, () =>
        {
            JobAssertions.FinishedWithOnlyTheCorruptImagesFailed(outcome.Status);
            var expected = Dataset.Good.Select(i => Dataset.MaskOf(i.Name)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, outcome.Masks.Keys.Order(StringComparer.Ordinal));
            var manifests = Dataset.Good.Select(i => $".unetpp/manifests/{i.Name}.json");
            var objects = Dataset.Good.SelectMany(i => JobOutcome.ResultFolders.Skip(1).Select(folder =>
                folder + Path.ChangeExtension(i.Name, folder switch { "instances/" => ".png", "objects/" => ".parquet", _ => ".geojson" })));
            string[] files = [JobReport.OwnerFileName, .. manifests, .. expected, .. objects, "objects.csv", "objects.parquet", JobReport.PageFileName, JobReport.FileName];
            Assert.Equal(files.Order(StringComparer.Ordinal), outcome.Files.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, width, height) in Dataset.Good)
            {
                using var mask = Image.NewFromBuffer(outcome.Masks[Dataset.MaskOf(name)], failOn: Enums.FailOn.Error);
                Assert.Equal((width, height, 1), (mask.Width, mask.Height, mask.Bands));
            }

            var report = outcome.Report!;
            Assert.Equal(JobState.CompletedWithFailures, report.State);
            Assert.Equal(new ReportCounts(Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count), report.Counts);
            JobAssertions.CorruptFailures(report.Failures);
            Assert.Equal(Dataset.GoodCount, report.Images.Count);
            Assert.Equal(Dataset.GoodCount, report.ImagesBySilo.Values.Sum());

            // The large image went through bands: the tiles on the cuts were computed by both sides,
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

            JobAssertions.SameAsReference(reference, outcome);
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
                victim = others.FirstOrDefault(s => workers.Any(w => w.Report.Silo == s.Endpoint && w.Report.Shards.Count > 0)) ?? others[0];
                atKill = status;
                victim.Kill();
                return true;
            }, deadline);

            Assert.NotNull(victim);
            Assert.True(victim.HasExited);
            Assert.True(atKill!.Done + atKill.Failed < atKill.Total, $"The job was already over when the silo was killed: {IntegrationFixture.Describe(atKill)}.");
            JobAssertions.SameAsReference(reference, outcome);
        });
    }

    /// <summary>Shares of the job done at which a silo is killed, before up to 5 % of jitter.</summary>
    private static readonly double[] KillMoments = [0.08, 0.2, 0.32];

    [Fact]
    public async Task SilosKilledAtRandomMomentsSeveralTimesLoseAndDuplicateNothing()
    {
        var reference = await fixture.ReferenceAsync();

        // Seeded, so a failure can be replayed: when to kill (share of the job done) and whom.
        var random = new Random(20261201);
        var moments = KillMoments.Select(m => m + (random.NextDouble() * 0.05)).ToArray();
        await WithClusterAsync("kills", 4, async (cluster, deadline) =>
        {
            var kills = new List<(string Silo, bool Coordinator, int Done)>();

            // Replacements start one after another while the job goes on; the kills do not wait for them.
            var replacing = Task.CompletedTask;
            var outcome = await fixture.RunJobAsync(cluster, "out-kills", status =>
            {
                var live = cluster.Silos.Where(s => !s.HasExited).ToList();
                if (status.State != JobState.Running || live.Count < 2 || (double)(status.Done + status.Failed) / status.Total < moments[kills.Count])
                {
                    return Task.FromResult(false);
                }

                // Any silo still running, the job's coordinator included; a new one takes its place.
                var victim = live[random.Next(live.Count)];
                victim.Kill();
                kills.Add((victim.Name, victim.Endpoint == status.Coordinator, status.Done));
                replacing = replacing.ContinueWith(_ => cluster.AddSiloAsync(deadline), deadline, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
                return Task.FromResult(kills.Count == moments.Length);
            }, deadline);
            await replacing;

            Assert.True(kills.Count == moments.Length, $"Only {kills.Count} kills before the job ended: {string.Join(", ", kills)}.");
            JobAssertions.SameAsReference(reference, outcome);

            // Each image once in the report, each mask once in the output, whoever did it and however often.
            var report = outcome.Report!;
            Assert.Equal(report.Images.Count, report.Images.Select(i => i.Name).Distinct().Count());
            Assert.Equal(Dataset.GoodCount, outcome.Masks.Count);
            Assert.True(report.ImagesBySilo.Count >= 2, $"Images by silo: {string.Join(", ", report.ImagesBySilo)}.");
            output.WriteLine($"{kills.Count} silos killed: {string.Join("; ", kills.Select(k => $"{k.Silo}{(k.Coordinator ? " (coordinator)" : "")} at {k.Done} done"))}");
            output.WriteLine($"masks {outcome.Masks.Count} of {Dataset.GoodCount}, all identical to the one-silo run; images by silo: {string.Join(", ", report.ImagesBySilo)}");
        });
    }

    [Fact]
    public async Task AWorkerWhoseInferenceHangsHandsItsShardsBackAndTheyFinishElsewhere()
    {
        var reference = await fixture.ReferenceAsync();
        await WithClusterAsync("hang", 1, async (cluster, deadline) =>
        {
            var healthy = cluster.Silos[0];

            // This silo's device hangs for good after three model runs, as a stuck driver would.
            var hanging = await cluster.AddSiloAsync(deadline, new Dictionary<string, string>
            {
                ["Faults__StallAfterBatches"] = "3",
                ["Inference__StallTimeout"] = "00:00:03",
            }, RepoPaths.FaultySiloDll);

            var outcome = await fixture.RunJobAsync(cluster, "out-hang", onStatus: null, deadline);

            JobAssertions.SameAsReference(reference, outcome);
            // Its worker took the device as hung once, after a run longer than the limit, and handed this job's shards back.
            var events = hanging.LogEvents();
            var hung = Assert.Single(events, e => e.Is(WorkerEvents.DeviceHung));
            Assert.True(hung.Number("Seconds") >= hung.Number("Limit"), $"{hung}");
            Assert.Contains(events, e => e.Is(WorkerEvents.ShardsHandedBack) && e.Field("JobId") == outcome.Status.JobId && e.Field("Worker") == hung.Field("Worker"));
            Assert.True(outcome.Report!.ImagesBySilo.GetValueOrDefault(healthy.Endpoint) > Dataset.GoodCount / 2, $"Images by silo: {string.Join(", ", outcome.Report.ImagesBySilo)}.");
            output.WriteLine($"images by silo (the hung one is {hanging.Endpoint}): {string.Join(", ", outcome.Report.ImagesBySilo)}");

            // The hung silo says so where a load balancer or Kubernetes looks.
            using var http = new HttpClient();
            var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{hanging.HttpPort}/readyz"), deadline);
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("hung", await ready.Content.ReadAsStringAsync(deadline), StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheWholeClusterStoppedAndStartedAgainResumesWithoutRedoingFinishedWork(bool killed)
    {
        var reference = await fixture.ReferenceAsync();
        await WithClusterAsync(killed ? "crash" : "restart", 2, async (cluster, deadline) =>
        {
            var first = cluster.Silos.ToList();
            JobStatus? atStop = null;
            IReadOnlyList<SiloProcess> second = [];
            var jobId = SegmentationClient.NewJobId();
            var folder = killed ? "out-crash" : "out-restart";
            var status = await cluster.Client.SubmitAsync(jobId, fixture.Spec(folder));
            while (!status.IsFinished)
            {
                await Task.Delay(200, deadline);
                status = await RetryAsync(() => cluster.Client.GetStatusAsync(jobId), deadline);
                if (atStop is null && MidJob(status))
                {
                    atStop = status;
                    second = await cluster.RestartAllAsync(deadline, kill: killed);
                }
            }

            Assert.NotNull(atStop);
            var outcome = new JobOutcome(status, await fixture.ReadOutputAsync(folder, deadline), TimeSpan.Zero, cluster.Logs());
            JobAssertions.SameAsReference(reference, outcome);

            // Work recorded as done before the stop stays done: the new silos segment exactly the rest
            // (killed, the shards the old silos held are among the rest: their results were never recorded).
            var bySilo = outcome.Report!.ImagesBySilo;
            var before = first.Sum(s => bySilo.GetValueOrDefault(s.Endpoint));
            var after = second.Sum(s => bySilo.GetValueOrDefault(s.Endpoint));
            Assert.True(before >= atStop!.Done, $"{before} images credited to the first silos, {atStop.Done} done when they were killed.");
            Assert.Equal(Dataset.GoodCount, before + after);
            using var http = new HttpClient();
            double segmentedAfter = 0;
            foreach (var silo in second)
            {
                var metrics = PrometheusText.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.HttpPort}/metrics"), deadline));
                segmentedAfter += metrics.Where(m => m.Name == "unetpp_images_completed_total").Sum(m => m.Value);
            }

            Assert.Equal(Dataset.GoodCount - before, (int)segmentedAfter);
            output.WriteLine($"{(killed ? "killed (SIGKILL, every silo at once)" : "stopped (SIGTERM)")} at {atStop.Done} done; {before} images kept from before, {after} segmented after ({segmentedAfter} by the new silos' own count): 0 finished images redone");
        });
    }

    /// <summary>A call the cluster may not answer while its silos are starting; asked again until it does.</summary>
    internal static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    [Fact]
    public async Task StorageGoneForThirtySecondsMidJobFailsNothingAndTheJobCompletes()
    {
        var reference = await fixture.ReferenceAsync();
        await WithClusterAsync("outage", 2, async (cluster, deadline) =>
        {
            JobStatus? atStop = null;
            Task? restore = null;
            var outcome = await fixture.RunJobAsync(cluster, "out-outage", async status =>
            {
                if (!MidJob(status))
                {
                    return false;
                }

                // Blobs, job state and membership all go: Azurite stops, and comes back on the same
                // ports with the same data 30 seconds later.
                atStop = status;
                await fixture.Azurite.StopAsync();
                restore = Task.Run(async () =>
                {
                    await Task.Delay(TimeSpan.FromSeconds(30), deadline);
                    await fixture.Azurite.StartAsync();
                }, deadline);
                return true;
            }, deadline);
            await restore!;

            // Only the four corrupt images failed, for their own reasons; every mask is the one-silo run's.
            JobAssertions.SameAsReference(reference, outcome);
            var waits = cluster.Silos.Sum(s => s.LogEvents().Count(e => e.Is(WorkerEvents.StorageDidNotAnswer)));
            output.WriteLine($"Azurite stopped for 30 s at {atStop!.Done} done; {outcome.Status.Failed} failed (the corrupt ones), {waits} waits for storage in the logs");
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
            JobAssertions.SameAsReference(reference, outcome);
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

            // Shards in flight finish the images they had started before the cancel returns; after that nothing is written.
            await Task.Delay(IntegrationFixture.LeaseDuration, deadline);
            var settled = await fixture.ReadOutputAsync("out-cancel", deadline);
            await Task.Delay(TimeSpan.FromSeconds(3), deadline);
            var later = await fixture.ReadOutputAsync("out-cancel", deadline);
            Assert.Equal(settled.Keys, later.Keys);

            Assert.True(later.Count(f => f.Key.StartsWith("masks/", StringComparison.Ordinal)) < Dataset.GoodCount, "Every mask was written although the job was cancelled.");
            Assert.Equal(outcome.Status.JobId, System.Text.Encoding.UTF8.GetString(later[JobReport.OwnerFileName]));
            const string Manifests = ".unetpp/manifests/";
            foreach (var (name, bytes) in later.Where(f => f.Key != JobReport.OwnerFileName))
            {
                if (name.StartsWith(Manifests, StringComparison.Ordinal))
                {
                    // A manifest is written after its image's outputs, so it never outlives them.
                    Assert.Contains(Dataset.MaskOf(name[Manifests.Length..^".json".Length]), later.Keys);
                    continue;
                }

                Assert.False(name.Contains("tmp", StringComparison.OrdinalIgnoreCase) || name.Split('/').Any(part => part.StartsWith('.')), $"A temporary file was left: {name}.");
                if (name == JobReport.FileName)
                {
                    // The report counts exactly the masks on disk, those written while the cancel waited for them included.
                    var report = JobReport.FromJson(System.Text.Encoding.UTF8.GetString(bytes));
                    Assert.Equal(JobState.Cancelled, report.State);
                    Assert.Equal(later.Keys.Count(k => k.StartsWith("masks/", StringComparison.Ordinal)), report.Counts.Done);
                    Assert.Equal(report.Counts.Done, cancelled.Done);
                    continue;
                }

                if (name == JobReport.PageFileName)
                {
                    Assert.Contains("<span class=\"state bad\">Cancelled</span>", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
                    continue;
                }

                if (name is "objects.csv" or "objects.parquet")
                {
                    // The table of the images done, written as the cancelled job ended: a header and a row per object.
                    var done = JobReport.FromJson(System.Text.Encoding.UTF8.GetString(later[JobReport.FileName])).Images.Sum(i => i.Classes.Sum(c => c.ObjectCount));
                    Assert.True(name == "objects.parquet" ? bytes.AsSpan(0, 4).SequenceEqual("PAR1"u8) : System.Text.Encoding.UTF8.GetString(bytes).Count(c => c == '\n') == done + 1, name);
                    continue;
                }

                Assert.True(JobOutcome.IsResult(name), $"{name} is no output of an image.");
                if (name.StartsWith("masks/", StringComparison.Ordinal) || name.StartsWith("instances/", StringComparison.Ordinal))
                {
                    using var mask = Image.NewFromBuffer(bytes, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
                    Assert.True(mask.Avg() >= 0, name); // decodes every pixel: a cut-off PNG fails here
                }

                Assert.True(reference.Results.TryGetValue(name, out var expected) && expected.AsSpan().SequenceEqual(bytes), $"{name} differs from the one-silo run's.");
            }
        });
    }

    /// <summary>
    /// These silos plan pages of 40 images, so the job of 204 spans six pages and every fault meets
    /// several of them, and publish their liveness every 2 s.
    /// </summary>
    private SiloClusterSetup Silos => fixture.SilosForAWholeClusterCrash with
    {
        Settings = new Dictionary<string, string>(fixture.SilosForAWholeClusterCrash.Settings)
        {
            ["Jobs__ImagesPerPage"] = "40",
        },
    };

    private static bool MidJob(JobStatus status) =>
        status.State == JobState.Running && status.Done + status.Failed >= status.Total / 5 && status.Total > 0;

    /// <summary>Runs a test on a fresh cluster within the test's time limit; a failure carries the silos' logs, and every silo is stopped whatever happens.</summary>
    private async Task WithClusterAsync(string name, int silos, Func<SiloCluster, CancellationToken, Task> test)
    {
        using var deadline = new CancellationTokenSource(TestTimeout);
        await using var cluster = await SiloCluster.StartAsync(Silos, $"it-{name}", silos, deadline.Token);
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
}
