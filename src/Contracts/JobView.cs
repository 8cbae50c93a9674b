using System.ComponentModel;
using System.Text.Json.Serialization;

namespace UNetPP.Cluster.Contracts;

/// <summary>
/// A job as <c>unetpp status|watch|list --json</c> print it and the job API returns it: one shape for
/// both, so a script can move from the one to the other. Its locations carry no SAS (a status has none).
/// </summary>
[Description("Where a job stands: its state, its image counts, its first failures, and where it reads and writes.")]
public sealed record JobView
{
    public required string JobId { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
    [Description("Unknown, Planning, Running, Completed, CompletedWithFailures, Cancelled or Failed; the last four are ends.")]
    public JobState State { get; init; }

    [Description("Images in the job.")]
    public int Total { get; init; }

    [Description("Images with their outputs written (skipped ones included).")]
    public int Done { get; init; }

    [Description("Images that failed every try; the report lists each with its reason.")]
    public int Failed { get; init; }

    [Description("Images that workers hold now.")]
    public int InProgress { get; init; }

    [Description("Of done, images an earlier job had done whose outputs were current (resume).")]
    public int Skipped { get; init; }

    [Description("With retryFailed, images the earlier job did not fail whose outputs were not current, left as they were.")]
    public int LeftOut { get; init; }

    [Description("The job was cancelled and waits a few seconds for the images being written.")]
    public bool Cancelling { get; init; }

    [Description("Images finished per second since the job started (skipped ones not counted).")]
    public double ImagesPerSecond { get; init; }

    public DateTimeOffset? Started { get; init; }

    [Description("When the job ended; null while it runs.")]
    public DateTimeOffset? Finished { get; init; }

    public string? Input { get; init; }

    [Description("Where the masks and report.json go.")]
    public string? Output { get; init; }

    [Description("How soon workers take the job's shards beside other jobs': -10 to 10, higher first (low -1, normal 0, high 1).")]
    public int? Priority { get; init; }

    [Description("The first 100 failed images with their reasons; report.json lists every one.")]
    public IReadOnlyList<ImageFailure> Failures { get; init; } = [];

    [Description("Why the job as a whole failed, or what it could not write; null when nothing did.")]
    public string? Error { get; init; }

    /// <summary>Only in lists of jobs: a status alone has no submission time.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When the job was submitted (in lists of jobs only).")]
    public DateTimeOffset? Submitted { get; init; }

    public static JobView Of(JobStatus status, DateTimeOffset? submitted = null) => new()
    {
        JobId = status.JobId,
        State = status.State,
        Total = status.Total,
        Done = status.Done,
        Failed = status.Failed,
        InProgress = status.InProgress,
        Skipped = status.Skipped,
        LeftOut = status.LeftOut,
        Cancelling = status.Cancelling,
        ImagesPerSecond = status.ImagesPerSecond,
        Started = status.Started,
        Finished = status.Finished,
        Input = status.Spec?.Input,
        Output = status.Spec?.Output,
        Priority = status.Spec?.Priority,
        Failures = status.Failures,
        Error = status.Error,
        Submitted = submitted,
    };
}
