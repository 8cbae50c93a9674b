using System.Globalization;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>What can go wrong with a running cluster, as the fault campaign injects it.</summary>
public enum FaultKind
{
    /// <summary>SIGKILL of a silo; a new one joins after the fault's duration.</summary>
    Kill,

    /// <summary>SIGTERM of a silo (a graceful stop); a new one joins after the fault's duration.</summary>
    Term,

    /// <summary>Storage gone for the fault's duration: every connection to it reset, every new one refused.</summary>
    StorageOutage,

    /// <summary>Storage slow and flaky for the fault's duration: latency on every chunk, some connections reset.</summary>
    SlowStorage,

    /// <summary>A silo joins whose device hangs for good after a few model runs.</summary>
    HungDevice,

    /// <summary>A silo frozen (SIGSTOP) for the fault's duration, longer than a lease: its leases expire while it holds them.</summary>
    LeaseExpiry,

    /// <summary>A <c>unetpp watch</c> of the job that goes away after the fault's duration (SIGKILL or Ctrl-C).</summary>
    ClientGone,
}

/// <summary>
/// One fault of a schedule: when (from the job's submission), what, on which silo, for how long.
/// </summary>
/// <param name="At">
/// When it lands at the latest, on the job's clock; it lands sooner where the job gets as far through its
/// images first (<see cref="Share"/>), so a job that runs faster than the schedule's clock still meets every fault.
/// </param>
/// <param name="Target">Which live silo, counted in start order (wrapping round); <see cref="Coordinator"/> for the job's coordinator.</param>
/// <param name="Severity">
/// From 0 to 1, what the kind makes of it: slow storage's latency and share of reset connections, the model
/// runs a hung device makes before it hangs, whether a watching client is killed or interrupted.
/// </param>
public sealed record Fault(TimeSpan At, FaultKind Kind, int Target, TimeSpan Duration, double Severity)
{
    public const int Coordinator = -1;

    /// <summary>The share of the job's images finished by which it lands at the latest: its moment's place in the horizon, up to 90 %.</summary>
    public double Share => 0.9 * At / FaultSchedule.Horizon;

    /// <summary>Slow storage's delay on every chunk: 20 to 200 ms.</summary>
    public TimeSpan Latency => TimeSpan.FromMilliseconds(20 + (180 * Severity));

    /// <summary>Slow storage's chance that a chunk resets its connection: up to 5 %.</summary>
    public double ResetChance => 0.05 * Severity;

    /// <summary>Model runs a hung device makes before its runs stop returning: 0 to 20.</summary>
    public int HealthyRuns => (int)(20 * Severity);

    /// <summary>Whether a watching client is killed outright rather than interrupted with Ctrl-C.</summary>
    public bool Killed => Severity < 0.5;

    public override string ToString()
    {
        var target = Target == Coordinator ? "coordinator" : $"silo #{Target}";
        var detail = Kind switch
        {
            FaultKind.Kill or FaultKind.Term => $"{target}, replaced after {Duration.TotalSeconds:F1} s",
            FaultKind.StorageOutage => $"{Duration.TotalSeconds:F1} s",
            FaultKind.SlowStorage => $"{Duration.TotalSeconds:F1} s, {Latency.TotalMilliseconds:F0} ms, {ResetChance:P1} resets",
            FaultKind.HungDevice => $"hangs after {HealthyRuns} runs",
            FaultKind.LeaseExpiry => $"{target} frozen {Duration.TotalSeconds:F1} s",
            FaultKind.ClientGone => $"{(Killed ? "killed" : "Ctrl-C")} after {Duration.TotalSeconds:F1} s",
            _ => throw new InvalidOperationException($"No description of {Kind}."),
        };
        return string.Create(CultureInfo.InvariantCulture, $"{At.TotalSeconds:F1} s {Kind} ({detail})");
    }
}

/// <summary>
/// A seeded list of faults for one job: the same seed gives the same faults at the same moments, so a
/// schedule that finds a bug is run again by its seed alone.
/// </summary>
public sealed record FaultSchedule(int Seed, IReadOnlyList<Fault> Faults)
{
    /// <summary>Faults land within this much of the job's submission, or within 90 % of its images where it gets that far sooner.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromSeconds(20);

    /// <summary>A frozen silo stays frozen longer than the campaign's lease, so its leases lapse under it.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    private static readonly FaultKind[] Kinds = Enum.GetValues<FaultKind>();

    public static FaultSchedule Generate(int seed)
    {
        var random = new Random(seed);
        var faults = Enumerable.Range(0, 2 + random.Next(3))
            .Select(_ => Next(random))
            .OrderBy(f => f.At)
            .ToList();
        return new FaultSchedule(seed, faults);
    }

    private static Fault Next(Random random)
    {
        var at = TimeSpan.FromSeconds(0.5 + (random.NextDouble() * (Horizon.TotalSeconds - 0.5)));
        var kind = Kinds[random.Next(Kinds.Length)];

        // One in four silo faults strikes the job's coordinator, the rest any silo.
        var target = random.Next(4) == 0 ? Fault.Coordinator : random.Next(4);
        var seconds = kind switch
        {
            FaultKind.Kill or FaultKind.Term => 1 + (random.NextDouble() * 7),
            FaultKind.StorageOutage => 3 + (random.NextDouble() * 22),
            FaultKind.SlowStorage => 5 + (random.NextDouble() * 15),
            FaultKind.LeaseExpiry => (Lease.TotalSeconds * 1.25) + (random.NextDouble() * Lease.TotalSeconds * 2),
            FaultKind.ClientGone => 0.5 + (random.NextDouble() * 5),
            _ => 0,
        };
        return new Fault(at, kind, target, TimeSpan.FromSeconds(Math.Round(seconds, 1)), random.NextDouble());
    }
}
