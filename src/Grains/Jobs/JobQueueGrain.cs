using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

[GenerateSerializer, Alias("unetpp.JobQueueRecord")]
public sealed class JobQueueRecord
{
    [Id(0)] public List<JobEntry> Jobs { get; set; } = [];
}

/// <summary>The cluster's list of jobs; persisted, so workers find running jobs again after a restart.</summary>
public sealed class JobQueueGrain(
    [PersistentState("queue", JobGrain.StorageName)] IPersistentState<JobQueueRecord> record,
    TimeProvider clock) : Grain, IJobQueueGrain
{
    public async Task AnnounceAsync(string jobId)
    {
        var index = record.State.Jobs.FindIndex(j => j.JobId == jobId);
        if (index >= 0 && record.State.Jobs[index].Active)
        {
            return;
        }

        var entry = new JobEntry(jobId, index >= 0 ? record.State.Jobs[index].Submitted : clock.GetUtcNow(), Active: true);
        if (index >= 0)
        {
            record.State.Jobs[index] = entry;
        }
        else
        {
            record.State.Jobs.Add(entry);
        }

        await record.WriteStateAsync();
    }

    public async Task RetireAsync(string jobId)
    {
        var index = record.State.Jobs.FindIndex(j => j.JobId == jobId);
        if (index >= 0 && record.State.Jobs[index].Active)
        {
            record.State.Jobs[index] = record.State.Jobs[index] with { Active = false };
            await record.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> GetActiveAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. record.State.Jobs.Where(j => j.Active).Select(j => j.JobId)]);

    public Task<IReadOnlyList<JobEntry>> ListAsync() => Task.FromResult<IReadOnlyList<JobEntry>>([.. record.State.Jobs]);
}
