using System.Globalization;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// Seeded schedules of faults against one cluster of three silo processes that reach Azurite through a
/// proxy: silos killed, stopped, frozen past their leases, a device that hangs, storage gone or slow and
/// flaky, a watching client that goes away. After each schedule every image is in the report once, every
/// result is the fault-free run's bytes, no band part is left and the job did not stick.
/// <c>UNETPP_FAULT_SCHEDULES=N</c> runs seeds 1 to N, or N seeds from <c>UNETPP_FAULT_FIRST_SEED=F</c> on (a long
/// run stopped part way goes on where it stopped); <c>UNETPP_FAULT_SEED=S</c> runs seed S alone;
/// <c>UNETPP_FAULT_LOG=FILE</c> appends each schedule's outcome to FILE as it ends, so a run of hours shows
/// where it is, and what it did stays when it is stopped (the test's own output comes at its end only).
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class FaultCampaignTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    private const int DefaultSchedules = 3;
    private const int Silos = 3;

    /// <summary>A schedule's share of the test's time: its job to the end or to being stuck, and the cluster restored.</summary>
    private static readonly TimeSpan PerSchedule = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task SeededFaultSchedulesLoseDuplicateAndChangeNothing()
    {
        var seeds = Seeds();
        var reference = await fixture.ReferenceAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3) + (PerSchedule * seeds.Count));
        await using var proxy = new StorageProxy(fixture.Azurite);
        var setup = fixture.Silos with
        {
            StorageConnection = proxy.ConnectionString,
            Settings = new Dictionary<string, string>(fixture.Silos.Settings)
            {
                // Several pages per job, so faults meet more than one.
                ["Jobs__ImagesPerPage"] = "40",
                // A silo is declared dead after about 6 s without answering: a frozen silo's leases (3 s) lapse
                // first, and it lives on when it is thawed sooner, as after a long GC pause.
                ["Cluster__Membership__ProbeTimeout"] = "00:00:02",
                ["Cluster__Membership__NumMissedProbesLimit"] = "3",
                // When every silo is gone at once, a joining one skips those whose last sign of life is older than
                // two of these rather than waiting to reach them.
                ["Cluster__Membership__IAmAliveTablePublishTimeout"] = "00:00:02",
                ["Cluster__Membership__NumMissedTableIAmAliveLimit"] = "2",
                // Every killed silo leaves a row in the membership table; hours of schedules would leave hundreds
                // for every joining silo and every snapshot to read.
                ["Cluster__Membership__DefunctSiloExpiration"] = "00:02:00",
                ["Cluster__Membership__DefunctSiloCleanupPeriod"] = "00:01:00",
            },
        };
        await using var cluster = await SiloCluster.StartAsync(setup, "campaign", Silos, deadline.Token);
        await using var injector = new FaultInjector(cluster, proxy, fixture.Azurite.ConnectionString, Silos);
        var outcomes = new List<ScheduleOutcome>();
        foreach (var seed in seeds)
        {
            var schedule = FaultSchedule.Generate(seed);
            output.WriteLine($"seed {seed}: {string.Join("; ", schedule.Faults)}");
            ScheduleOutcome outcome;
            try
            {
                outcome = await new ScheduleRun(fixture, cluster, injector, reference).RunAsync(schedule, deadline.Token);
            }
            catch (Exception ex)
            {
                throw new ClusterTestException($"Seed {seed} could not be run ({ex.Message}); run it again with UNETPP_FAULT_SEED={seed}.\n\n{cluster.Logs()}", ex);
            }

            outcomes.Add(outcome);
            output.WriteLine(outcome.Summary());
            if (Environment.GetEnvironmentVariable("UNETPP_FAULT_LOG") is { Length: > 0 } log)
            {
                await File.AppendAllTextAsync(log, $"{DateTime.UtcNow:HH:mm:ss} {outcome.Summary()}{Environment.NewLine}", deadline.Token);
            }
        }

        output.WriteLine(ScheduleOutcome.Table(outcomes));
        var failed = outcomes.Where(o => !o.Passed).ToList();
        Assert.True(
            failed.Count == 0,
            $"{failed.Count} of {outcomes.Count} schedules failed:\n" +
            string.Join("\n", failed.Select(o => $"{o.Summary()}\n  rerun: {o.Rerun}")) + $"\n\n{cluster.Logs()}");
    }

    private static List<int> Seeds()
    {
        if (Environment.GetEnvironmentVariable("UNETPP_FAULT_SEED") is { Length: > 0 } seed)
        {
            return [int.Parse(seed, CultureInfo.InvariantCulture)];
        }

        var count = Environment.GetEnvironmentVariable("UNETPP_FAULT_SCHEDULES") is { Length: > 0 } schedules
            ? int.Parse(schedules, CultureInfo.InvariantCulture)
            : DefaultSchedules;
        var first = Environment.GetEnvironmentVariable("UNETPP_FAULT_FIRST_SEED") is { Length: > 0 } from
            ? int.Parse(from, CultureInfo.InvariantCulture)
            : 1;
        return [.. Enumerable.Range(first, count)];
    }
}
