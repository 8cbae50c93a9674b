namespace UNetPP.Cluster.Contracts;

[GenerateSerializer, Alias("unetpp.JobState")]
public enum JobState
{
    /// <summary>No job has been submitted under this id.</summary>
    Unknown,

    /// <summary>Listing the input and planning shards.</summary>
    Planning,

    Running,

    /// <summary>Every image has a mask.</summary>
    Completed,

    /// <summary>Every image was tried; some failed and are listed with their reasons.</summary>
    CompletedWithFailures,

    Cancelled,

    /// <summary>The job could not run at all (for example its input could not be listed).</summary>
    Failed,
}

/// <summary>An image that could not be segmented, and why.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageFailure")]
public sealed record ImageFailure([property: Id(0)] string Name, [property: Id(1)] string Reason);

/// <summary>Where a job stands: what a user watches and what <c>unetpp status</c> prints.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.JobStatus")]
public sealed record JobStatus
{
    [Id(0)] public required string JobId { get; init; }

    [Id(1)] public JobState State { get; init; }

    [Id(2)] public int Total { get; init; }

    [Id(3)] public int Done { get; init; }

    [Id(4)] public int Failed { get; init; }

    [Id(5)] public int InProgress { get; init; }

    /// <summary>Images finished (segmented or failed; skipped ones not) per second since the job started.</summary>
    [Id(6)] public double ImagesPerSecond { get; init; }

    [Id(7)] public DateTimeOffset? Started { get; init; }

    [Id(8)] public DateTimeOffset? Finished { get; init; }

    /// <summary>
    /// The first <see cref="FailuresListed"/> failures with their reasons; <see cref="Failed"/> counts them all,
    /// and the job's report lists every one.
    /// </summary>
    [Id(9)] public IReadOnlyList<ImageFailure> Failures { get; init; } = [];

    /// <summary>Why the job as a whole failed, when it did.</summary>
    [Id(10)] public string? Error { get; init; }

    [Id(11)] public JobSpec? Spec { get; init; }

    /// <summary>The silo the job's coordinator runs on now (it moves if that silo dies).</summary>
    [Id(12)] public string? Coordinator { get; init; }

    /// <summary>Of <see cref="Done"/>, images an earlier job had done whose outputs were current, so they were not segmented again.</summary>
    [Id(13)] public int Skipped { get; init; }

    /// <summary>With --retry-failed, images the earlier job did not fail whose outputs were not current, left as they were.</summary>
    [Id(14)] public int LeftOut { get; init; }

    /// <summary>The job has been cancelled and waits a few seconds for the images being written to land.</summary>
    [Id(15)] public bool Cancelling { get; init; }

    /// <summary>How many failures a status carries at most: a status stays small however many images fail.</summary>
    public const int FailuresListed = 100;

    public bool IsFinished => State is JobState.Completed or JobState.CompletedWithFailures or JobState.Cancelled or JobState.Failed;
}
