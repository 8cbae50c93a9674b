using Microsoft.Extensions.Logging;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>What a device worker writes to the log: each event with a fixed id and its worker as a field.</summary>
public sealed partial class DeviceWorker
{
    // Ids from 101: the device session's 1–4 share this category; alerts and the tests key on them, not on the wording.
    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Worker {Worker}: the cluster did not answer ({Reason}); trying again.")]
    private static partial void LogLeaseFailed(ILogger logger, string worker, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Worker {Worker}: stopped shard {JobId}/{Shard}.")]
    private static partial void LogShardStopped(ILogger logger, string worker, string jobId, string shard);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Worker {Worker}: shard {JobId}/{Shard} failed ({Reason}); it goes back to the queue when its lease expires.")]
    private static partial void LogShardFailed(ILogger logger, string worker, string jobId, string shard, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Worker {Worker}: shard {JobId}/{Shard} is no longer ours (expired, taken over or cancelled); stopping it.")]
    private static partial void LogLeaseLost(ILogger logger, string worker, string jobId, string shard);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Worker {Worker}: a model run on {Device} has taken {Seconds:F0} s, over Inference:StallTimeout ({Limit:F0} s); the device is taken as hung, its shards are handed back and it takes no more work.")]
    private static partial void LogHung(ILogger logger, string worker, string device, double seconds, double limit);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Worker {Worker}: handed the unfinished shards of job {JobId} back.")]
    private static partial void LogReleased(ILogger logger, string worker, string jobId);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Worker {Worker}: job {JobId} was cancelled; shard {Shard} finishes the images it has started and starts no more.")]
    private static partial void LogJobEnded(ILogger logger, string worker, string jobId, string shard);
}
