namespace UNetPP.Cluster.Contracts;

/// <summary>One device worker as it last reported itself.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.WorkerReport")]
public sealed record WorkerReport
{
    [Id(0)] public required string WorkerId { get; init; }

    [Id(1)] public required string Silo { get; init; }

    /// <summary>The device it runs on: cpu or cuda:N, as its silo settled it at start (<c>auto</c> resolved).</summary>
    [Id(2)] public required string Device { get; init; }

    /// <summary>Shards it holds, as job/shard.</summary>
    [Id(3)] public IReadOnlyList<string> Shards { get; init; } = [];

    [Id(4)] public long ImagesDone { get; init; }

    [Id(5)] public long TilesDone { get; init; }

    /// <summary>Tiles per second over the last reporting interval.</summary>
    [Id(6)] public double TilesPerSecond { get; init; }

    [Id(7)] public DateTimeOffset At { get; init; }

    /// <summary>How often the worker reports: the view counts it as not answering once several are missed.</summary>
    [Id(8)] public required TimeSpan Interval { get; init; }
}

/// <summary>
/// A worker as the cluster view last heard from it: its report, when that came (the view's clock, so
/// ages compare across silos) and whether the worker still answers. The figures are those of the
/// report; for a worker that no longer answers they are its last.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.WorkerStatus")]
public sealed record WorkerStatus
{
    [Id(0)] public required WorkerReport Report { get; init; }

    /// <summary>When the view received the report.</summary>
    [Id(1)] public required DateTimeOffset Updated { get; init; }

    /// <summary>How long before the question the report came.</summary>
    [Id(2)] public required TimeSpan Age { get; init; }

    /// <summary>False once the worker has missed several reports: its silo stopped, died or cannot reach the view.</summary>
    [Id(3)] public required bool Answering { get; init; }
}

/// <summary>What the cluster is doing (one grain, key 0): every worker reports here every few seconds.</summary>
[Alias("unetpp.IClusterViewGrain")]
public interface IClusterViewGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Report")]
    Task ReportAsync(WorkerReport report);

    /// <summary>Every worker heard from in the last minutes, those that stopped answering marked so; one silent for longer is left out as gone.</summary>
    [Alias("GetWorkers")]
    Task<IReadOnlyList<WorkerStatus>> GetWorkersAsync();
}
