using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains;

/// <summary>
/// What every device worker last reported and when it came, read back with how old each report is
/// and whether its worker still answers: a figure shown without its age reads as current when it
/// is not, and a silo that died keeps its last figures.
/// </summary>
public sealed class WorkerRoll(TimeProvider clock)
{
    /// <summary>Reports a worker may miss before it counts as not answering: one late report is not a dead silo.</summary>
    private const int MissedReports = 3;

    /// <summary>A worker silent for this long is dropped from the roll: long enough to see that its silo went.</summary>
    public static readonly TimeSpan Forget = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, (WorkerReport Report, DateTimeOffset Updated)> _workers = [];

    public void Add(WorkerReport report) => _workers[report.WorkerId] = (report, clock.GetUtcNow());

    /// <summary>Every worker heard from within <see cref="Forget"/>, by worker id.</summary>
    public IReadOnlyList<WorkerStatus> Statuses()
    {
        var now = clock.GetUtcNow();
        foreach (var gone in _workers.Where(w => now - w.Value.Updated > Forget).Select(w => w.Key).ToList())
        {
            _workers.Remove(gone);
        }

        return [.. _workers.Values.OrderBy(w => w.Report.WorkerId, StringComparer.Ordinal).Select(w => new WorkerStatus
        {
            Report = w.Report,
            Updated = w.Updated,
            Age = now - w.Updated,
            Answering = now - w.Updated <= w.Report.Interval * MissedReports,
        })];
    }
}
