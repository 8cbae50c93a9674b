using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

[GenerateSerializer, Alias("unetpp.ShardState")]
public enum ShardState
{
    Pending,
    Leased,
    Done,
}

/// <summary>One shard as the job grain persists it: its images, who holds it, and how each image fared.</summary>
[GenerateSerializer, Alias("unetpp.ShardRecord")]
public sealed class ShardRecord
{
    [Id(0)] public int Id { get; set; }

    [Id(1)] public List<string> Images { get; set; } = [];

    [Id(2)] public ShardState State { get; set; }

    [Id(3)] public Guid LeaseId { get; set; }

    [Id(4)] public string? Worker { get; set; }

    [Id(5)] public DateTimeOffset LeaseExpires { get; set; }

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

/// <summary>Everything the job grain persists; enough to continue on another silo after its own dies.</summary>
[GenerateSerializer, Alias("unetpp.JobRecord")]
public sealed class JobRecord
{
    [Id(0)] public JobSpec? Spec { get; set; }

    [Id(1)] public JobState State { get; set; }

    [Id(2)] public DateTimeOffset? Submitted { get; set; }

    [Id(3)] public DateTimeOffset? Started { get; set; }

    [Id(4)] public DateTimeOffset? Finished { get; set; }

    [Id(5)] public List<ShardRecord> Shards { get; set; } = [];

    [Id(6)] public Dictionary<string, ImageSummary> Segmented { get; set; } = [];

    [Id(7)] public List<ImageFailure> Failures { get; set; } = [];

    [Id(8)] public string? Error { get; set; }

    [Id(9)] public int Total { get; set; }

    [Id(10)] public long Tiles { get; set; }

    /// <summary>Which silo segmented each image, for the per-silo share in the report.</summary>
    [Id(11)] public Dictionary<string, int> ImagesBySilo { get; set; } = [];

    /// <summary>Large images cut into regions, with their region counts, so their stored parts can be removed at the end.</summary>
    [Id(12)] public Dictionary<string, int> Regioned { get; set; } = [];

    /// <summary>The job's span (W3C traceparent): shards and the job's run are traced under it.</summary>
    [Id(13)] public string? TraceParent { get; set; }
}
