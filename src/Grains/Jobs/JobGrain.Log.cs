using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>What the coordinator writes to the log, each line with the job's id as a field.</summary>
public sealed partial class JobGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Images} image(s) in {Shards} shard(s) on {Pages} page(s).")]
    private static partial void LogPlanned(ILogger logger, string jobId, int images, int shards, int pages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was being planned when its silo stopped; planning it again.")]
    private static partial void LogPlanningAgain(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the storage of its input did not answer ({Reason}); listing it again in {Seconds} s.")]
    private static partial void LogInputUnanswered(ILogger logger, string jobId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} is planned, but its pages could not be stored ({Reason}); trying again in {Seconds} s.")]
    private static partial void LogPlanDelayed(ILogger logger, string jobId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} cannot run: {Error}")]
    private static partial void LogFailed(ILogger logger, string jobId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: ignored a result for shard {Page}.{ShardId} from {Worker}, which no longer holds it.")]
    private static partial void LogStaleResult(ILogger logger, string jobId, int page, int shardId, string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {State}: {Done} segmented, {Failed} failed.")]
    private static partial void LogFinished(ILogger logger, string jobId, JobState state, int done, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ended, but its report could not be written ({Reason}); trying again in {Seconds} s.")]
    private static partial void LogReportDelayed(ILogger logger, string jobId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} is running, but the cluster's queue could not take it ({Reason}); trying again in {Seconds} s.")]
    private static partial void LogAnnounceDelayed(ILogger logger, string jobId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ({State}) is coordinated on this silo from now on.")]
    private static partial void LogCoordinatingHere(ILogger logger, string jobId, JobState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} changed in storage since this silo read it (another silo coordinates it now, or a write retried after it landed); this silo stops coordinating it, and its next call reads it afresh.")]
    private static partial void LogSuperseded(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} cancelled: no more leases; waiting for the images being written.")]
    private static partial void LogCancelling(ILogger logger, string jobId);
}
