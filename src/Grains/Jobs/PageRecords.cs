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

    /// <summary>What the shard is: whole images, a band of a large image, or its stitch.</summary>
    [Id(11)] public required ShardWork Work { get; set; }

    [Id(2)] public ShardState State { get; set; }

    [Id(3)] public Guid LeaseId { get; set; }

    [Id(4)] public string? Worker { get; set; }

    /// <summary>Tries so far per image; an image is tried again until it reaches the job's limit.</summary>
    [Id(6)] public Dictionary<string, int> Attempts { get; set; } = [];

    /// <summary>Images with a final outcome (segmented or failed for good).</summary>
    [Id(7)] public HashSet<string> Finished { get; set; } = [];

    /// <summary>How many times the shard was handed out: more than once means a retry or a lost worker.</summary>
    [Id(8)] public int Leases { get; set; }

    /// <summary>Leased first: a large image's bands are its longest path, and its stitch is the last step.</summary>
    public int Priority => Work switch
    {
        StitchWork => 0,
        BandWork => 1,
        ImagesWork => 2,
        _ => throw new InvalidOperationException($"unknown shard work {Work}"),
    };

    public IEnumerable<string> Unfinished => Work.Images.Where(image => !Finished.Contains(image));
}

/// <summary>What a page needs of the job's spec to judge its images' results.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageRules")]
public sealed record PageRules
{
    [Id(0)] public required int MaxAttempts { get; init; }

    [Id(1)] public required double Overlap { get; init; }

    /// <summary>Wanted band height, in rows, for large images cut here (the job's --region-size).</summary>
    [Id(2)] public required int BandHeight { get; init; }

    /// <summary>Images per shard (the job's --shard-size), for the planes of files added here.</summary>
    [Id(3)] public int ShardSize { get; init; } = 1;

    public static PageRules Of(JobSpec spec) => new() { MaxAttempts = spec.MaxAttempts, Overlap = spec.Overlap, BandHeight = spec.RegionSize, ShardSize = spec.ShardSize };
}

/// <summary>
/// One page of a job: a run of its images in listing order, with their shards and outcomes. A
/// page's state is bounded by <see cref="JobOptions.ImagesPerPage"/> (plus the bands of its large
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

    /// <summary>Large images cut into bands, with their band counts, so their stored band parts can be removed at the end.</summary>
    [Id(6)] public Dictionary<string, int> Banded { get; set; } = [];

    /// <summary>Images skipped as done and current (they are in <see cref="Segmented"/> too), with the job that made their outputs.</summary>
    [Id(7)] public Dictionary<string, string> Skipped { get; set; } = [];

    /// <summary>Images an earlier job had done that were segmented again, with why its outputs did not do.</summary>
    [Id(8)] public Dictionary<string, string> Redone { get; set; } = [];

    /// <summary>With --retry-failed, images neither failed before nor current, left as they were, with why.</summary>
    [Id(9)] public Dictionary<string, string> LeftOut { get; set; } = [];

    /// <summary>How each silo's engines really ran (device, tile, batch, model), for the report.</summary>
    [Id(10)] public Dictionary<string, EngineRun> EnginesBySilo { get; set; } = [];

    /// <summary>When each large image's first band was leased: its time runs from then to its stitched outputs written.</summary>
    [Id(11)] public Dictionary<string, DateTimeOffset> FirstBandLeased { get; set; } = [];

    /// <summary>Files of several planes, with how many of their planes were added here as images.</summary>
    [Id(12)] public Dictionary<string, int> Planes { get; set; } = [];
}

/// <summary>A page's counts, as the job grain keeps them to lease, report progress and see the end.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageProgress")]
public sealed record PageProgress
{
    /// <summary>Shards waiting for a worker.</summary>
    [Id(0)] public int Pending { get; init; }

    /// <summary>Of those, bands and stitches of large images, leased before the rest.</summary>
    [Id(1)] public int UrgentPending { get; init; }

    /// <summary>Shards not done yet (pending or leased).</summary>
    [Id(2)] public int Open { get; init; }

    [Id(3)] public int Segmented { get; init; }

    [Id(4)] public int Failed { get; init; }

    [Id(5)] public long Tiles { get; init; }

    [Id(6)] public IReadOnlyDictionary<string, int> ImagesBySilo { get; init; } = new Dictionary<string, int>();

    /// <summary>Of <see cref="Segmented"/>, images skipped as done and current.</summary>
    [Id(7)] public int Skipped { get; init; }

    [Id(8)] public int LeftOut { get; init; }

    /// <summary>Images the plan did not know of: a file's planes, less the file they replace.</summary>
    [Id(9)] public int AddedImages { get; init; }
}

/// <summary>What a call to a page changed beyond its counts.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageChange")]
public sealed record PageChange
{
    [Id(0)] public required PageProgress Progress { get; init; }

    /// <summary>Failures this call recorded, for the first ones the job's status lists.</summary>
    [Id(1)] public IReadOnlyList<ImageFailure> NewFailures { get; init; } = [];

    /// <summary>Shards this call closed although a worker held them (the other bands of a failed large image).</summary>
    [Id(2)] public IReadOnlyList<int> Closed { get; init; } = [];
}

/// <summary>A shard a page handed out: the job grain adds the spec and the expiry.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.PageShard")]
public sealed record PageShard
{
    [Id(0)] public required int ShardId { get; init; }

    [Id(1)] public required Guid LeaseId { get; init; }

    [Id(2)] public required string Worker { get; init; }

    /// <summary>The shard's work, its finished images left out.</summary>
    [Id(3)] public required ShardWork Work { get; init; }
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
    [property: Id(2)] IReadOnlyDictionary<string, int> Banded)
{
    /// <summary>Of <see cref="Segmented"/>, images skipped as done and current, with the job that made them.</summary>
    [Id(3)] public IReadOnlyDictionary<string, string> Skipped { get; init; } = new Dictionary<string, string>();

    [Id(4)] public IReadOnlyDictionary<string, string> Redone { get; init; } = new Dictionary<string, string>();

    [Id(5)] public IReadOnlyDictionary<string, string> LeftOut { get; init; } = new Dictionary<string, string>();

    [Id(6)] public IReadOnlyDictionary<string, EngineRun> EnginesBySilo { get; init; } = new Dictionary<string, EngineRun>();
}
