using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains;

/// <summary>
/// What every device worker last said about itself. Kept in memory only: workers report every few
/// seconds, so a fresh activation is complete again within one interval.
/// </summary>
public sealed class ClusterViewGrain(TimeProvider clock) : Grain, IClusterViewGrain
{
    private readonly WorkerRoll _workers = new(clock);

    public Task ReportAsync(WorkerReport report)
    {
        _workers.Add(report);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WorkerStatus>> GetWorkersAsync() => Task.FromResult(_workers.Statuses());
}
