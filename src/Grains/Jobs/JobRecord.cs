using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// What the job grain persists: the job's spec and milestones, and per page only its counts. The
/// images and their outcomes live in the pages (<see cref="JobPageRecord"/>), so this stays small
/// however large the job.
/// </summary>
[GenerateSerializer, Alias("unetpp.JobRecord")]
public sealed class JobRecord
{
    /// <summary>The job's spec with its locations bare: their SAS is kept apart, encrypted (<see cref="SealedSas"/>).</summary>
    [Id(0)] public JobSpec? Spec { get; set; }

    [Id(1)] public JobState State { get; set; }

    [Id(2)] public DateTimeOffset? Submitted { get; set; }

    [Id(3)] public DateTimeOffset? Started { get; set; }

    [Id(4)] public DateTimeOffset? Finished { get; set; }

    [Id(5)] public string? Error { get; set; }

    [Id(6)] public int Total { get; set; }

    /// <summary>The pages' counts, by page; the pages themselves are the authority, read again when the grain activates.</summary>
    [Id(7)] public List<PageProgress> Pages { get; set; } = [];

    /// <summary>The first failures, for the job's status (the report lists all).</summary>
    [Id(8)] public List<ImageFailure> FirstFailures { get; set; } = [];

    /// <summary>The job's span (W3C traceparent): shards and the job's run are traced under it.</summary>
    [Id(9)] public string? TraceParent { get; set; }

    /// <summary>The job whose results the output held when this one continued it (--resume, --retry-failed).</summary>
    [Id(10)] public string? Previous { get; set; }

    /// <summary>With --retry-failed, the images the earlier job's report lists as failed: the only ones segmented.</summary>
    [Id(11)] public List<string>? Retry { get; set; }

    /// <summary>When the job was cancelled: it takes no more leases, and ends once the images being written have landed.</summary>
    [Id(12)] public DateTimeOffset? CancelRequested { get; set; }

    /// <summary>The SAS of the spec's locations, sealed with the cluster's key (<see cref="CredentialSeal"/>); null when none carries one.</summary>
    [Id(13)] public string? SealedSas { get; set; }

    /// <summary>
    /// The job has ended, and its report, object tables and the removal of its band parts are still to be
    /// done: set in the write that ends it, cleared once they are. A coordinator that dies in between
    /// leaves it set, and the job's next activation does them.
    /// </summary>
    [Id(14)] public bool ReportPending { get; set; }
}
