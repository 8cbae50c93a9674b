namespace UNetPP.Cluster.Contracts;

/// <summary>One segmented image: its size, how many tiles it took, what it holds.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageSummary")]
public sealed record ImageSummary
{
    [Id(0)] public int Width { get; init; }

    [Id(1)] public int Height { get; init; }

    [Id(2)] public int Tiles { get; init; }

    [Id(3)] public IReadOnlyList<ClassSummary> Classes { get; init; } = [];

    /// <summary>Wall time from the lease of the image's shard (a large image: its first band's) to its outputs written.</summary>
    [Id(4)] public double Seconds { get; init; }

    /// <summary>The mask's name under the job's output.</summary>
    [Id(5)] public string Mask { get; init; } = "";

    /// <summary>What the user should know about the image's input (too faint for a fixed normalisation, say); null when nothing.</summary>
    [Id(6)] public string? Warning { get; init; }

    /// <summary>How the objects found match the ground truth's, when it held instance labels; null otherwise.</summary>
    [Id(7)] public InstanceQuality? Instances { get; init; }

    /// <summary>What the image's ground truth held; null when it had none.</summary>
    [Id(8)] public LabelsKind? Labels { get; init; }

    /// <summary>The instance label image's name under the job's output, when the job wrote one (<c>--instances</c>).</summary>
    [Id(9)] public string? LabelImage { get; init; }
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

    [Id(6), System.Text.Json.Serialization.JsonPropertyName("iou")] public double? IoU { get; init; }

    [Id(7)] public double? Dice { get; init; }

    /// <summary>The objects' areas counted in <see cref="ObjectSizeBins"/>: entry k, objects of 2^k … 2^(k+1) − 1 pixels.</summary>
    [Id(8)] public IReadOnlyList<int> ObjectSizes { get; init; } = [];
}
