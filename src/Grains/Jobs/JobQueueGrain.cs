using Microsoft.Extensions.Options;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

[GenerateSerializer, Alias("unetpp.JobQueueRecord")]
public sealed class JobQueueRecord
{
    [Id(0)] public List<JobEntry> Jobs { get; set; } = [];
}

/// <summary>
/// The cluster's list of jobs; persisted, so workers find running jobs again after a restart. It
/// hands workers the running jobs in the order to lease from (<see cref="LeaseOrder"/>).
/// </summary>
public sealed class JobQueueGrain(
    [PersistentState("queue", JobGrain.StorageName)] IPersistentState<JobQueueRecord> record,
    IOptions<JobOptions> options,
    TimeProvider clock) : Grain, IJobQueueGrain
{
    private readonly LeaseOrder _order = new(options.Value.PriorityAgeing);

    /// <summary>
    /// Since when each running job has waited for a worker. Kept in memory only, as a lease would
    /// otherwise cost a write: a queue that moves to another silo starts every wait again at once,
    /// which leaves the jobs in their priorities' order.
    /// </summary>
    private readonly Dictionary<string, DateTimeOffset> _waitingSince = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var job in record.State.Jobs.Where(j => j.Active))
        {
            _waitingSince[job.JobId] = now;
        }

        return Task.CompletedTask;
    }

    public async Task AnnounceAsync(string jobId, int priority)
    {
        var index = record.State.Jobs.FindIndex(j => j.JobId == jobId);
        if (index >= 0 && record.State.Jobs[index].Active)
        {
            return;
        }

        var now = clock.GetUtcNow();
        var entry = new JobEntry(jobId, index >= 0 ? record.State.Jobs[index].Submitted : now, Active: true, priority);
        if (index >= 0)
        {
            record.State.Jobs[index] = entry;
        }
        else
        {
            record.State.Jobs.Add(entry);
        }

        await record.WriteStateAsync();
        _waitingSince[jobId] = now;
    }

    public async Task RetireAsync(string jobId)
    {
        var index = record.State.Jobs.FindIndex(j => j.JobId == jobId);
        if (index >= 0 && record.State.Jobs[index].Active)
        {
            record.State.Jobs[index] = record.State.Jobs[index] with { Active = false };
            await record.WriteStateAsync();
        }

        _waitingSince.Remove(jobId);
    }

    public Task<IReadOnlyList<string>> GetActiveAsync()
    {
        var now = clock.GetUtcNow();
        var running = record.State.Jobs.Where(j => j.Active).Select(j => new WaitingJob(j.JobId, j.Priority, _waitingSince.GetValueOrDefault(j.JobId, now)));
        return Task.FromResult(_order.Order(running, now));
    }

    public Task LeasedAsync(IReadOnlyList<string> jobIds)
    {
        var now = clock.GetUtcNow();
        foreach (var jobId in jobIds.Where(_waitingSince.ContainsKey))
        {
            _waitingSince[jobId] = now;
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JobEntry>> ListAsync() => Task.FromResult<IReadOnlyList<JobEntry>>([.. record.State.Jobs]);
}
