using System.ComponentModel;

namespace UNetPP.Cluster.Contracts;

/// <summary>
/// A device worker as <c>unetpp cluster --json</c> prints it and the job API returns it: its last
/// report, how old that is, and whether the worker still answers.
/// </summary>
[Description("A device worker of a silo: what it holds and has done, as it last reported, and how old that report is.")]
public sealed record WorkerView
{
    public required string WorkerId { get; init; }

    [Description("The silo the worker runs on (host:port).")]
    public required string Silo { get; init; }

    [Description("cpu or cuda:N.")]
    public required string Device { get; init; }

    [Description("Shards it holds, as job/shard.")]
    public IReadOnlyList<string> Shards { get; init; } = [];

    public long ImagesDone { get; init; }

    public long TilesDone { get; init; }

    [Description("Tiles per second over its last reporting interval.")]
    public double TilesPerSecond { get; init; }

    [Description("When the worker made its report, by its own clock.")]
    public DateTimeOffset At { get; init; }

    [Description("When the cluster received the report.")]
    public DateTimeOffset Updated { get; init; }

    public double UpdatedSecondsAgo { get; init; }

    [Description("False once the worker has missed several reports: its figures are then its last.")]
    public bool Answering { get; init; }

    public static WorkerView Of(WorkerStatus worker) => new()
    {
        WorkerId = worker.Report.WorkerId,
        Silo = worker.Report.Silo,
        Device = worker.Report.Device,
        Shards = worker.Report.Shards,
        ImagesDone = worker.Report.ImagesDone,
        TilesDone = worker.Report.TilesDone,
        TilesPerSecond = worker.Report.TilesPerSecond,
        At = worker.Report.At,
        Updated = worker.Updated,
        UpdatedSecondsAgo = Math.Round(worker.Age.TotalSeconds, 1),
        Answering = worker.Answering,
    };
}
