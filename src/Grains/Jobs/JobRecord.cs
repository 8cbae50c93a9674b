using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

[GenerateSerializer, Alias("unetpp.ShardState")]
public enum ShardState
{
    Pending,
    Leased,
    Done,
}

/// <summary>One shard as its page persists it: its images, who holds it, and how each image fared.</summary>
[GenerateSerializer, Alias("unetpp.ShardRecord")]
public sealed class ShardRecord
{
    /// <summary>Numbered within the shard's page.</summary>
    [Id(0)] public int Id { get; set; }

    [Id(1)] public List<string> Images { get; set; } = [];

    [Id(2)] public ShardState State { get; set; }

    [Id(3)] public Guid LeaseId { get; set; }

    [Id(4)] public string? Worker { get; set; }

    /// <summary>Tries so far per image; an image is tried again until it reaches the job's limit.</summary>
    [Id(6)] public Dictionary<string, int> Attempts { get; set; } = [];

    /// <summary>Images with a final outcome (segmented or failed for good).</summary>
    [Id(7)] public HashSet<string> Finished { get; set; } = [];

    /// <summary>How many times the shard was handed out: more than once means a retry or a lost worker.</summary>
    [Id(8)] public int Leases { get; set; }

    /// <summary>Set when the shard is one region of a large image.</summary>
    [Id(9)] public ImageRegion? Region { get; set; }

    /// <summary>Set when the shard stitches a large image's regions.</summary>
    [Id(10)] public ImageStitch? Stitch { get; set; }

    /// <summary>Leased first: a large image's regions are its longest path, and its stitch is the last step.</summary>
    public int Priority => Stitch is not null ? 0 : Region is not null ? 1 : 2;

    public IEnumerable<string> Unfinished => Images.Where(image => !Finished.Contains(image));
}

/// <summary>What a page needs of the job's spec to judge its images' results.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageRules")]
public sealed record PageRules
{
    [Id(0)] public required int MaxAttempts { get; init; }

    [Id(1)] public required double Overlap { get; init; }

    [Id(2)] public required int RegionSize { get; init; }

    public static PageRules Of(JobSpec spec) => new() { MaxAttempts = spec.MaxAttempts, Overlap = spec.Overlap, RegionSize = spec.RegionSize };
}

/// <summary>
/// One page of a job: a run of its images in listing order, with their shards and outcomes. A
/// page's state is bounded by <see cref="JobOptions.ImagesPerPage"/> (plus the regions of its large
/// images), so a completion rewrites one page, never the whole job.
/// </summary>
[GenerateSerializer, Alias("unetpp.JobPageRecord")]
public sealed class JobPageRecord
{
    [Id(0)] public PageRules? Rules { get; set; }

    [Id(1)] public List<ShardRecord> Shards { get; set; } = [];

    [Id(2)] public Dictionary<string, ImageSummary> Segmented { get; set; } = [];

    [Id(3)] public List<ImageFailure> Failures { get; set; } = [];

    [Id(4)] public long Tiles { get; set; }

    /// <summary>Which silo segmented each image, for the per-silo share in the report.</summary>
    [Id(5)] public Dictionary<string, int> ImagesBySilo { get; set; } = [];

    /// <summary>Large images cut into regions, with their region counts, so their stored parts can be removed at the end.</summary>
    [Id(6)] public Dictionary<string, int> Regioned { get; set; } = [];
}

/// <summary>A page's counts, as the job grain keeps them to lease, report progress and see the end.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageProgress")]
public sealed record PageProgress
{
    /// <summary>Shards waiting for a worker.</summary>
    [Id(0)] public int Pending { get; init; }

    /// <summary>Of those, regions and stitches of large images, leased before the rest.</summary>
    [Id(1)] public int UrgentPending { get; init; }

    /// <summary>Shards not done yet (pending or leased).</summary>
    [Id(2)] public int Open { get; init; }

    [Id(3)] public int Segmented { get; init; }

    [Id(4)] public int Failed { get; init; }

    [Id(5)] public long Tiles { get; init; }

    [Id(6)] public IReadOnlyDictionary<string, int> ImagesBySilo { get; init; } = new Dictionary<string, int>();
}

/// <summary>What a call to a page changed beyond its counts.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageChange")]
public sealed record PageChange
{
    [Id(0)] public required PageProgress Progress { get; init; }

    /// <summary>Failures this call recorded, for the first ones the job's status lists.</summary>
    [Id(1)] public IReadOnlyList<ImageFailure> NewFailures { get; init; } = [];

    /// <summary>Shards this call closed although a worker held them (the other regions of a failed large image).</summary>
    [Id(2)] public IReadOnlyList<int> Closed { get; init; } = [];
}

/// <summary>A shard a page handed out: the job grain adds the spec and the expiry.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageShard")]
public sealed record PageShard
{
    [Id(0)] public required int ShardId { get; init; }

    [Id(1)] public required Guid LeaseId { get; init; }

    [Id(2)] public required string Worker { get; init; }

    [Id(3)] public required IReadOnlyList<string> Images { get; init; }

    [Id(4)] public ImageRegion? Region { get; init; }

    [Id(5)] public ImageStitch? Stitch { get; init; }
}

[GenerateSerializer, Immutable, Alias("unetpp.PageLeases")]
public sealed record PageLeases([property: Id(0)] IReadOnlyList<PageShard> Shards, [property: Id(1)] PageProgress Progress);

/// <summary>What a page tells a job grain that has just activated: enough to carry on where the last one was.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageRecovery")]
public sealed record PageRecovery(
    [property: Id(0)] PageProgress Progress,
    [property: Id(1)] IReadOnlyList<PageShard> Held,
    [property: Id(2)] IReadOnlyList<ImageFailure> FirstFailures);

/// <summary>A page's outcomes, for the job's report and the clean-up at its end.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageOutcome")]
public sealed record PageOutcome(
    [property: Id(0)] IReadOnlyDictionary<string, ImageSummary> Segmented,
    [property: Id(1)] IReadOnlyList<ImageFailure> Failures,
    [property: Id(2)] IReadOnlyDictionary<string, int> Regioned);

/// <summary>A shard held by a worker, as the job grain tracks it: the cluster's concurrency bounds how many there are.</summary>
internal sealed class HeldShard
{
    public required ShardLeaseRef Lease { get; init; }

    public required string Worker { get; init; }

    public required DateTimeOffset Expires { get; set; }

    public required int Images { get; init; }

    /// <summary>The large image this shard is a region of: its regions make one image in progress.</summary>
    public string? RegionOf { get; init; }
}

/// <summary>
/// What the job grain persists: the job's spec and milestones, and per page only its counts. The
/// images and their outcomes live in the pages (<see cref="JobPageRecord"/>), so this stays small
/// however large the job.
/// </summary>
[GenerateSerializer, Alias("unetpp.JobRecord")]
public sealed class JobRecord
{
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
}
