using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// Grain storage in memory that keeps each state as the bytes the cluster's blob storage would
/// hold (Orleans' own format, as the silo configures it), so that a reactivated grain reads a
/// real round trip, and that records how large each grain's state is and how much was written.
/// </summary>
public sealed class MeasuredGrainStorage(Serializer serializer) : IGrainStorage
{
    private readonly OrleansGrainStorageSerializer _format = new(serializer);
    private readonly ConcurrentDictionary<GrainId, Stored> _states = new();
    private readonly ConcurrentDictionary<GrainId, Written> _written = new();

    /// <summary>What was written for one grain: how often, how much in all, and its largest state.</summary>
    public sealed record Written(int Writes, long Bytes, long Largest);

    /// <summary>Every grain written whose key holds <paramref name="text"/> (a job id), by grain.</summary>
    public IReadOnlyDictionary<GrainId, Written> WrittenFor(string text) =>
        _written.Where(pair => pair.Key.Key.ToString()!.Contains(text, StringComparison.Ordinal)).ToDictionary();

    private readonly ConcurrentDictionary<GrainId, int> _failAfterWriting = new();

    /// <summary>
    /// The next write of that grain lands and then reports a failure, as a write whose answer was lost
    /// does: the grain believes it failed, and storage holds it.
    /// </summary>
    public void FailAfterNextWrite(GrainId grainId) => _failAfterWriting[grainId] = 1;

    private readonly ConcurrentDictionary<GrainId, (Task Until, TaskCompletionSource Reached)> _heldWrites = new();

    /// <summary>
    /// Writes of that grain wait until <paramref name="until"/> completes, as writes to a slow store do.
    /// Returns a task that completes when the first such write is waiting.
    /// </summary>
    public Task HoldWrites(GrainId grainId, Task until)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _heldWrites[grainId] = (until, reached);
        return reached.Task;
    }

    private readonly ConcurrentDictionary<GrainId, int> _failReads = new();

    /// <summary>The next <paramref name="times"/> reads of that grain fail, as reads do while storage is out of reach.</summary>
    public void FailReads(GrainId grainId, int times) => _failReads[grainId] = times;

    private readonly ConcurrentDictionary<GrainId, int> _failWrites = new();

    /// <summary>The next <paramref name="times"/> writes of that grain fail before they land, as writes do while storage is out of reach.</summary>
    public void FailWrites(GrainId grainId, int times) => _failWrites[grainId] = times;

    /// <summary>Puts a state in storage as a grain would have left it (one cut short by its silo's death, say).</summary>
    public void Store<T>(GrainId grainId, T state) => _states[grainId] = new Stored(_format.Serialize(state), Guid.NewGuid().ToString("N"));

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_failReads.TryGetValue(grainId, out var failures) && failures > 0 && _failReads.TryUpdate(grainId, failures - 1, failures))
        {
            throw new TimeoutException($"storage could not be reached to read {grainId}");
        }

        if (_states.TryGetValue(grainId, out var stored))
        {
            grainState.State = _format.Deserialize<T>(stored.Bytes);
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_heldWrites.TryGetValue(grainId, out var held))
        {
            held.Reached.TrySetResult();
            await held.Until;
        }

        if (_failWrites.TryGetValue(grainId, out var failures) && failures > 0 && _failWrites.TryUpdate(grainId, failures - 1, failures))
        {
            throw new TimeoutException($"storage could not be reached to write {grainId}");
        }

        var bytes = _format.Serialize(grainState.State);
        var etag = Guid.NewGuid().ToString("N");
        _states.AddOrUpdate(
            grainId,
            _ => grainState.ETag is null ? new Stored(bytes, etag) : throw new InconsistentStateException("the state was removed meanwhile"),
            (_, current) => current.ETag == grainState.ETag ? new Stored(bytes, etag) : throw new InconsistentStateException($"etag {grainState.ETag} is stale"));
        var size = bytes.ToMemory().Length;
        _written.AddOrUpdate(grainId, _ => new Written(1, size, size), (_, w) => new Written(w.Writes + 1, w.Bytes + size, Math.Max(w.Largest, size)));
        grainState.ETag = etag;
        grainState.RecordExists = true;
        if (_failAfterWriting.TryRemove(grainId, out _))
        {
            throw new TimeoutException($"the answer to writing {grainId} was lost (after it was written)");
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _states.TryRemove(grainId, out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private sealed record Stored(BinaryData Bytes, string ETag);
}
