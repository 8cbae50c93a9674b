using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains;

/// <summary>
/// What every device worker last said about itself. Kept in memory only: workers report every few
/// seconds, so a fresh activation is complete again within one interval.
/// </summary>
public sealed class ClusterViewGrain(TimeProvider clock) : Grain, IClusterViewGrain
{
    /// <summary>A worker not heard from for this long is taken as gone (its silo stopped or died).</summary>
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, WorkerReport> _workers = [];

    public Task ReportAsync(WorkerReport report)
    {
        _workers[report.WorkerId] = report;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WorkerReport>> GetWorkersAsync()
    {
        var since = clock.GetUtcNow() - Silence;
        foreach (var gone in _workers.Values.Where(w => w.At < since).Select(w => w.WorkerId).ToList())
        {
            _workers.Remove(gone);
        }

        return Task.FromResult<IReadOnlyList<WorkerReport>>([.. _workers.Values.OrderBy(w => w.WorkerId, StringComparer.Ordinal)]);
    }
}
