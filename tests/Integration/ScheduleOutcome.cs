using System.Globalization;
using System.Text;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>A fault as it was injected: when (from the job's submission), what was done, and how long until the job moved again.</summary>
public sealed record InjectedFault(Fault Fault, TimeSpan At, string Action, TimeSpan Recovery);

/// <summary>
/// What one schedule's job came to: the faults injected, the images the report lists against the input,
/// and every broken promise (an empty <see cref="Problems"/> is a schedule passed).
/// </summary>
/// <param name="Images">Names the report lists, done or failed, each time it lists them.</param>
/// <param name="Lost">Input images the report does not list, or lists as failed without being corrupt.</param>
/// <param name="Duplicated">Extra listings: an image listed twice counts one.</param>
public sealed record ScheduleOutcome(
    FaultSchedule Schedule, IReadOnlyList<InjectedFault> Injected, int Images, int Lost, int Duplicated, TimeSpan Elapsed, IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;

    public TimeSpan SlowestRecovery => Injected.Count == 0 ? TimeSpan.Zero : Injected.Max(f => f.Recovery);

    /// <summary>How to run this schedule again alone.</summary>
    public string Rerun => $"UNETPP_FAULT_SEED={Schedule.Seed} ./test.sh --filter FullyQualifiedName~FaultCampaign";

    public string Summary()
    {
        var faults = string.Join("; ", Injected.Select(f => string.Create(
            CultureInfo.InvariantCulture, $"{f.At.TotalSeconds:F1} s {f.Fault.Kind}: {f.Action}, recovered in {f.Recovery.TotalSeconds:F1} s")));
        var verdict = Passed ? "passed" : "FAILED";
        var problems = Passed ? "" : "; " + string.Join("; ", Problems);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"seed {Schedule.Seed}: {verdict} in {Elapsed.TotalSeconds:F0} s; {Injected.Count} of {Schedule.Faults.Count} faults injected [{faults}]; {Images} images listed, {Lost} lost, {Duplicated} duplicated{problems}");
    }

    /// <summary>The campaign's figures: schedules, faults by kind, images, lost, duplicated, the slowest recovery and its seed.</summary>
    public static string Table(IReadOnlyList<ScheduleOutcome> outcomes)
    {
        var text = new StringBuilder();
        var faults = outcomes.SelectMany(o => o.Injected.Select(f => (o.Schedule.Seed, f))).ToList();
        text.AppendLine(CultureInfo.InvariantCulture, $"schedules        {outcomes.Count} ({outcomes.Count(o => o.Passed)} passed)");
        text.AppendLine(CultureInfo.InvariantCulture, $"faults injected  {faults.Count}");
        foreach (var kind in Enum.GetValues<FaultKind>())
        {
            var ofKind = faults.Where(f => f.f.Fault.Kind == kind).ToList();
            var slowest = ofKind.Count == 0 ? "" : $", slowest recovery {ofKind.Max(f => f.f.Recovery).TotalSeconds:F1} s";
            text.AppendLine(CultureInfo.InvariantCulture, $"  {kind,-15}{ofKind.Count}{slowest}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"images           {outcomes.Sum(o => o.Images)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"lost             {outcomes.Sum(o => o.Lost)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"duplicated       {outcomes.Sum(o => o.Duplicated)}");
        if (faults.Count > 0)
        {
            var (seed, slowest) = faults.MaxBy(f => f.f.Recovery);
            text.AppendLine(CultureInfo.InvariantCulture, $"slowest recovery {slowest.Recovery.TotalSeconds:F1} s ({slowest.Fault.Kind}, seed {seed})");
        }

        return text.ToString();
    }
}
