namespace UNetPP.Cluster.Contracts;

/// <summary>One device worker as it last reported itself.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.WorkerReport")]
public sealed record WorkerReport
{
    [Id(0)] public required string WorkerId { get; init; }

    [Id(1)] public required string Silo { get; init; }

    /// <summary>The device it runs on: cpu or cuda:N (after any fallback).</summary>
    [Id(2)] public required string Device { get; init; }

    /// <summary>Shards it holds, as job/shard.</summary>
    [Id(3)] public IReadOnlyList<string> Shards { get; init; } = [];

    [Id(4)] public long ImagesDone { get; init; }

    [Id(5)] public long TilesDone { get; init; }

    /// <summary>Tiles per second over the last reporting interval.</summary>
    [Id(6)] public double TilesPerSecond { get; init; }

    [Id(7)] public DateTimeOffset At { get; init; }
}

/// <summary>What the cluster is doing (one grain, key 0): every worker reports here every few seconds.</summary>
[Alias("unetpp.IClusterViewGrain")]
public interface IClusterViewGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Report")]
    Task ReportAsync(WorkerReport report);

    /// <summary>Workers heard from recently; one silent for long is left out as gone.</summary>
    [Alias("GetWorkers")]
    Task<IReadOnlyList<WorkerReport>> GetWorkersAsync();
}
