namespace UNetPP.Cluster.Contracts;

/// <summary>A shard one worker holds until <see cref="ExpiresAt"/> unless it renews: what to do, and for which job.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ShardLease")]
public sealed record ShardLease
{
    [Id(0)] public required string JobId { get; init; }

    [Id(1)] public required int ShardId { get; init; }

    /// <summary>Tells this holding apart from earlier ones of the same shard, whose results are stale.</summary>
    [Id(2)] public required Guid LeaseId { get; init; }

    [Id(3)] public required JobSpec Spec { get; init; }

    /// <summary>What the shard is: whole images, one band of a large image, or the stitching of one.</summary>
    [Id(4)] public required ShardWork Work { get; init; }

    [Id(5)] public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The images the shard is about (see <see cref="ShardWork.Images"/>).</summary>
    public IReadOnlyList<string> Images => Work.Images;

    /// <summary>The job's trace context (W3C traceparent), so the shard's spans join the job's trace.</summary>
    [Id(6)] public string? TraceParent { get; init; }

    /// <summary>The page of the job's plan that holds the shard: shard ids are numbered within their page.</summary>
    [Id(7)] public required int Page { get; init; }

    public ShardLeaseRef Ref => new(Page, ShardId, LeaseId);
}

/// <summary>Which holding of which shard a worker means when it renews, reports or lets go.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ShardLeaseRef")]
public sealed record ShardLeaseRef([property: Id(0)] int Page, [property: Id(1)] int ShardId, [property: Id(2)] Guid LeaseId)
{
    /// <summary>The shard's name in logs and listings: its page, then its number there.</summary>
    public string Shard => $"{Page}.{ShardId}";
}

/// <summary>What a worker reports when it has finished a shard.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ShardResult")]
public sealed record ShardResult
{
    [Id(0)] public required string JobId { get; init; }

    [Id(1)] public required ShardLeaseRef Lease { get; init; }

    [Id(2)] public required string WorkerId { get; init; }

    [Id(3)] public required IReadOnlyList<ImageResult> Images { get; init; }

    /// <summary>Grid tiles segmented for this shard, for the job's throughput (once each, with test-time augmentation too).</summary>
    [Id(4)] public long Tiles { get; init; }

    /// <summary>How the worker's engine ran the shard; null when no engine could be built.</summary>
    [Id(5)] public EngineRun? Engine { get; init; }
}

/// <summary>What an engine that ran a shard really used, for the report: not what was asked, what ran.</summary>
/// <param name="Device">The device its session runs on (the CPU when a CUDA device was not usable).</param>
/// <param name="ModelSha256">The SHA-256 of the model file's bytes, in lowercase hex.</param>
[GenerateSerializer, Immutable, Alias("unetpp.EngineRun")]
public sealed record EngineRun(
    [property: Id(0)] string Device,
    [property: Id(1)] int TileSize,
    [property: Id(2)] int BatchSize,
    [property: Id(3)] string ModelSha256);
