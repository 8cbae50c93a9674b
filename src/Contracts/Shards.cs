namespace UNetPP.Cluster.Contracts;

/// <summary>A run of a job's images that one worker holds until <see cref="ExpiresAt"/> unless it renews.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ShardLease")]
public sealed record ShardLease
{
    [Id(0)] public required string JobId { get; init; }

    [Id(1)] public required int ShardId { get; init; }

    /// <summary>Tells this holding apart from earlier ones of the same shard, whose results are stale.</summary>
    [Id(2)] public required Guid LeaseId { get; init; }

    [Id(3)] public required JobSpec Spec { get; init; }

    /// <summary>Image names relative to the job's input, to do in this shard (finished ones left out).</summary>
    [Id(4)] public required IReadOnlyList<string> Images { get; init; }

    [Id(5)] public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Set when this shard is one region of a large image (the only entry of <see cref="Images"/>).</summary>
    [Id(6)] public ImageRegion? Region { get; init; }

    /// <summary>Set when this shard stitches a large image's regions into its files.</summary>
    [Id(7)] public ImageStitch? Stitch { get; init; }

    /// <summary>The job's trace context (W3C traceparent), so the shard's spans join the job's trace.</summary>
    [Id(8)] public string? TraceParent { get; init; }

    /// <summary>The page of the job's plan that holds the shard: shard ids are numbered within their page.</summary>
    [Id(9)] public required int Page { get; init; }

    public ShardLeaseRef Ref => new(Page, ShardId, LeaseId);
}

/// <summary>
/// One region of a large image: a worker segments the pixels inside it, computing every tile that
/// touches it, and stores the result as part <see cref="Index"/> of <see cref="Count"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageRegion")]
public sealed record ImageRegion
{
    [Id(0)] public required string Image { get; init; }

    [Id(1)] public required int Index { get; init; }

    [Id(2)] public required int Count { get; init; }

    [Id(3)] public required int X { get; init; }

    [Id(4)] public required int Y { get; init; }

    [Id(5)] public required int Width { get; init; }

    [Id(6)] public required int Height { get; init; }
}

/// <summary>A large image whose <see cref="Regions"/> parts are all stored and wait to be put together.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageStitch")]
public sealed record ImageStitch([property: Id(0)] string Image, [property: Id(1)] int Regions);

/// <summary>What a worker found in a header: an image too large for one machine at a time, and the tile side it would use.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageSize")]
public sealed record ImageSize([property: Id(0)] int Width, [property: Id(1)] int Height, [property: Id(2)] int TileSize);

/// <summary>Which holding of which shard a worker means when it renews, reports or lets go.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ShardLeaseRef")]
public sealed record ShardLeaseRef([property: Id(0)] int Page, [property: Id(1)] int ShardId, [property: Id(2)] Guid LeaseId)
{
    /// <summary>The shard's name in logs and listings: its page, then its number there.</summary>
    public string Shard => $"{Page}.{ShardId}";
}

/// <summary>What was found in one class of one image.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ClassSummary")]
public sealed record ClassSummary
{
    [Id(0)] public int Class { get; init; }

    [Id(1)] public double ForegroundFraction { get; init; }

    [Id(2)] public double MeanProbability { get; init; }

    /// <summary>Connected objects, 8-connectivity.</summary>
    [Id(3)] public int ObjectCount { get; init; }

    [Id(4)] public double MeanObjectArea { get; init; }

    [Id(5)] public int LargestObjectArea { get; init; }

    [Id(6)] public double? IoU { get; init; }

    [Id(7)] public double? Dice { get; init; }
}

/// <summary>One segmented image: its size, how many tiles it took, what it holds.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageSummary")]
public sealed record ImageSummary
{
    [Id(0)] public int Width { get; init; }

    [Id(1)] public int Height { get; init; }

    [Id(2)] public int Tiles { get; init; }

    [Id(3)] public IReadOnlyList<ClassSummary> Classes { get; init; } = [];

    [Id(4)] public double Seconds { get; init; }

    /// <summary>The mask's name under the job's output.</summary>
    [Id(5)] public string Mask { get; init; } = "";
}

/// <summary>One image's outcome in a shard.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageResult")]
public sealed record ImageResult
{
    [Id(0)] public required string Name { get; init; }

    /// <summary>Set when the image was segmented and its files written.</summary>
    [Id(1)] public ImageSummary? Summary { get; init; }

    /// <summary>Why it failed, when it did.</summary>
    [Id(2)] public string? FailureReason { get; init; }

    /// <summary>
    /// False for failures that another try cannot change (a corrupt file, a wrong channel count):
    /// those are recorded at once instead of being retried.
    /// </summary>
    [Id(3)] public bool Retryable { get; init; }

    [Id(4)] public string? Silo { get; init; }

    /// <summary>
    /// Set, instead of a summary, when the image is above the job's region size: the worker left it
    /// alone, and the coordinator cuts it into region shards.
    /// </summary>
    [Id(5)] public ImageSize? Oversized { get; init; }

    /// <summary>Set, instead of a summary, when the shard was one region of the image and its part is stored.</summary>
    [Id(6)] public int? RegionStored { get; init; }

    public bool Succeeded => Summary is not null;
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
}
