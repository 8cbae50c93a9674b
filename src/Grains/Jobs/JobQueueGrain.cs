using Microsoft.Extensions.Options;
using Orleans.Storage;
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
        var now = clock.GetUtcNow();
        if (await SetAsync(jobId, entry => entry is { Active: true } ? null : new JobEntry(jobId, entry?.Submitted ?? now, Active: true, priority)))
        {
            _waitingSince[jobId] = now;
        }
    }

    public async Task RetireAsync(string jobId)
    {
        await SetAsync(jobId, entry => entry is { Active: true } ? entry with { Active = false } : null);
        _waitingSince.Remove(jobId);
    }

    /// <summary>
    /// Changes one job's entry (<paramref name="change"/> gives the new entry, or null for none to make) and
    /// writes the list; true when it wrote. When the stored list was written since this activation read it
    /// (another activation, live for a moment while the cluster's membership changes, or an earlier write
    /// that landed though its answer was lost), the list is read again and the change made to that, so no
    /// job is lost, and this activation then leaves. A write that fails otherwise puts the entry back as it
    /// was, so the list in memory stays what storage holds and a caller that tries again makes the change
    /// again rather than finding it made.
    /// </summary>
    private async Task<bool> SetAsync(string jobId, Func<JobEntry?, JobEntry?> change)
    {
        for (var attempt = 1; ; attempt++)
        {
            var jobs = record.State.Jobs;
            var index = jobs.FindIndex(j => j.JobId == jobId);
            var before = index >= 0 ? jobs[index] : null;
            if (change(before) is not { } after)
            {
                return false;
            }

            if (before is null)
            {
                jobs.Add(after);
            }
            else
            {
                jobs[index] = after;
            }

            try
            {
                await record.WriteStateAsync();
                return true;
            }
            catch (Exception ex)
            {
                if (before is null)
                {
                    jobs.RemoveAt(jobs.Count - 1);
                }
                else
                {
                    jobs[index] = before;
                }

                if (ex is not InconsistentStateException || attempt > 1)
                {
                    throw;
                }
            }

            // This activation's list was stale, so jobs announced through the other may be missing from what it
            // hands workers: it reads the list again now, and leaves once this call is done, so that the next
            // call reaches the queue the cluster's directory names, with the list as stored.
            await record.ReadStateAsync();
            DeactivateOnIdle();
        }
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
