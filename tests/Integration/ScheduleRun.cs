using System.Diagnostics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// One schedule of the fault campaign: a fresh job (new id, new output) on the cluster, its faults injected
/// at their moments or shares of the job, the job followed to its end, the cluster restored, and the output held to the
/// fault-free run's: every image once in the report, every result the same bytes, no band parts left.
/// </summary>
public sealed class ScheduleRun(IntegrationFixture fixture, SiloCluster cluster, FaultInjector injector, JobOutcome reference)
{
    /// <summary>A job that finishes no image for this long is stuck: longer than the longest outage and a lease's expiry together.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(90);

    /// <summary>The campaign's jobs may lose more leases than a schedule has faults, so no image fails for having been in the way of them.</summary>
    private const int MaxAttempts = 6;

    public async Task<ScheduleOutcome> RunAsync(FaultSchedule schedule, CancellationToken cancellationToken)
    {
        var output = $"out-campaign-{schedule.Seed}-{Guid.NewGuid().ToString("N")[..6]}";
        var jobId = SegmentationClient.NewJobId();
        var clock = Stopwatch.StartNew();
        var problems = new List<string>();
        var progress = new List<(TimeSpan At, int Finished)>();
        var injected = new List<(Fault Fault, TimeSpan At, int Finished, string Action)>();

        var status = await SubmitAsync(jobId, fixture.Spec(output) with { LeaseDuration = FaultSchedule.Lease, MaxAttempts = MaxAttempts }, cancellationToken);
        var lastMove = clock.Elapsed;
        progress.Add((clock.Elapsed, Finished(status)));
        var next = 0;
        while (!status.IsFinished)
        {
            while (next < schedule.Faults.Count && Due(schedule.Faults[next], clock.Elapsed, status))
            {
                var fault = schedule.Faults[next++];
                if (await injector.InjectAsync(fault, schedule.Seed, status, cancellationToken) is { } action)
                {
                    injected.Add((fault, clock.Elapsed, Finished(status), action));
                }
            }

            if (clock.Elapsed - lastMove > StuckAfter)
            {
                problems.Add($"stuck: no image finished for {StuckAfter.TotalSeconds:F0} s, at {IntegrationFixture.Describe(status)}");
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            try
            {
                status = await cluster.Client.GetStatusAsync(jobId);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The job's silo may have just died, or the client is joining a new one: ask again.
                continue;
            }

            if (Finished(status) > progress[^1].Finished)
            {
                lastMove = clock.Elapsed;
                progress.Add((clock.Elapsed, Finished(status)));
            }
        }

        var elapsed = clock.Elapsed;

        // Frozen silos run on and late replacements join before the output is read: a write that comes after the job's end counts too.
        await injector.RestoreAsync(cancellationToken);
        await Task.Delay(FaultSchedule.Lease, cancellationToken);
        var files = await fixture.ReadOutputAsync(output, cancellationToken);
        var outcome = new JobOutcome(status, files, elapsed, "");

        var recoveries = injected.Select(f => new InjectedFault(
            f.Fault,
            f.At,
            f.Action,
            progress.Where(p => p.At > f.At && p.Finished > f.Finished).Select(p => p.At).DefaultIfEmpty(elapsed).First() - f.At)).ToList();
        var (images, lost, duplicated) = CountReport(outcome, problems);
        if (status.IsFinished)
        {
            CheckOutput(outcome, problems);
        }

        if (problems.Count == 0)
        {
            // A failed schedule's output stays, to be read.
            await fixture.DeleteOutputAsync(output, cancellationToken);
        }

        return new ScheduleOutcome(schedule, recoveries, images, lost, duplicated, elapsed, problems);
    }

    private static int Finished(JobStatus status) => status.Done + status.Failed;

    /// <summary>A fault lands at its moment or at its share of the job, whichever comes first: the job's clock runs on through an outage, its images do not.</summary>
    private static bool Due(Fault fault, TimeSpan elapsed, JobStatus status) =>
        elapsed >= fault.At || (status.Total > 0 && Finished(status) >= fault.Share * status.Total);

    /// <summary>Submits the job, asking again where the silo that took the call died before it answered (a job the cluster has is never submitted twice).</summary>
    private async Task<JobStatus> SubmitAsync(string jobId, JobSpec spec, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await cluster.Client.SubmitAsync(jobId, spec);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                var status = await ClusterTests.RetryAsync(() => cluster.Client.GetStatusAsync(jobId), cancellationToken);
                if (status.State != JobState.Unknown)
                {
                    return status;
                }
            }
        }
    }

    /// <summary>Each input image's listings in the report (done or failed): lost when none, or failed though not corrupt; duplicated past one.</summary>
    private static (int Images, int Lost, int Duplicated) CountReport(JobOutcome outcome, List<string> problems)
    {
        if (outcome.Report is not { } report)
        {
            problems.Add($"no {JobReport.FileName}: the job ended {IntegrationFixture.Describe(outcome.Status)}");
            return (0, Dataset.Total, 0);
        }

        var listed = report.Images.Select(i => i.Name).Concat(report.Failures.Select(f => f.Name))
            .GroupBy(name => name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var inputs = Dataset.Good.Select(i => i.Name).Concat(Dataset.Corrupt.Keys).ToList();
        var missing = inputs.Where(name => !listed.ContainsKey(name)).ToList();
        var wronglyFailed = report.Failures.Where(f => !Dataset.Corrupt.TryGetValue(f.Name, out var phrase) || !f.Reason.Contains(phrase, StringComparison.Ordinal)).ToList();
        var twice = listed.Where(l => l.Value > 1).ToList();
        var unknown = listed.Keys.Except(inputs, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"{missing.Count} image(s) not in the report: {string.Join(", ", missing.Take(10))}");
        }

        if (wronglyFailed.Count > 0)
        {
            problems.Add($"{wronglyFailed.Count} image(s) failed: {string.Join("; ", wronglyFailed.Take(10).Select(f => $"{f.Name}: {f.Reason}"))}");
        }

        if (twice.Count > 0)
        {
            problems.Add($"{twice.Count} image(s) listed more than once: {string.Join(", ", twice.Take(10).Select(t => $"{t.Key} ×{t.Value}"))}");
        }

        if (unknown.Count > 0)
        {
            problems.Add($"{unknown.Count} name(s) in the report that are no input: {string.Join(", ", unknown.Take(10))}");
        }

        return (listed.Values.Sum(), missing.Count + wronglyFailed.Count(f => !Dataset.Corrupt.ContainsKey(f.Name)), twice.Sum(t => t.Value - 1));
    }

    /// <summary>The fault-free run's results, byte for byte, and nothing else: no band part, temporary or stray file.</summary>
    private void CheckOutput(JobOutcome outcome, List<string> problems)
    {
        if (outcome.Status.State != JobState.CompletedWithFailures)
        {
            problems.Add($"the job ended {IntegrationFixture.Describe(outcome.Status)}, not completed with only the corrupt images failed");
        }

        var missing = reference.Results.Keys.Except(outcome.Results.Keys).ToList();
        var different = reference.Results.Where(r => outcome.Results.TryGetValue(r.Key, out var bytes) && !bytes.AsSpan().SequenceEqual(r.Value)).Select(r => r.Key).ToList();
        var parts = outcome.Files.Keys.Where(name => name.StartsWith(".parts/", StringComparison.Ordinal)).ToList();
        var extra = outcome.Files.Keys.Except(reference.Files.Keys).Except(parts).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"{missing.Count} result(s) missing: {string.Join(", ", missing.Take(10))}");
        }

        if (different.Count > 0)
        {
            problems.Add($"{different.Count} result(s) differ from the fault-free run's: {string.Join(", ", different.Take(10))}");
        }

        if (parts.Count > 0)
        {
            problems.Add($"{parts.Count} band part(s) left under .parts: {string.Join(", ", parts.Take(10))}");
        }

        if (extra.Count > 0)
        {
            problems.Add($"{extra.Count} stray file(s): {string.Join(", ", extra.Take(10))}");
        }
    }
}
