using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace UNetPP.Cluster.Segmentation.Telemetry;

/// <summary>
/// The engine's meter and trace source, both named <see cref="Name"/>, the project's one telemetry
/// name: a host that exports telemetry adds that name, and gets these and whatever its own parts
/// publish under it. Instruments keep Prometheus-style names and units, so the exporter turns
/// <c>unetpp.tiles</c> into <c>unetpp_tiles_total</c> and seconds into <c>_seconds</c>.
/// </summary>
public static class EngineTelemetry
{
    public const string Name = "UNetPP.Cluster";

    /// <summary>Spans of an image's stages (decode, inference, blend, …), under whatever span the caller has open.</summary>
    public static ActivitySource Traces { get; } = new(Name);

    /// <summary>The engine's instruments, shared by every engine in the process (a device's engines add up).</summary>
    internal static Meter Meter { get; } = new(Name);

    /// <summary>Bucket bounds for stage durations: from a fraction of a millisecond (a GPU batch) to a minute (a huge image).</summary>
    public static IReadOnlyList<double> SecondsBuckets { get; } =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    internal static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}

/// <summary>The pipeline's stages, as metrics and spans name them.</summary>
public static class PipelineStage
{
    public const string BlobRead = "blob_read";
    public const string Decode = "decode";
    public const string QueueWait = "queue_wait";
    public const string Inference = "inference";
    public const string Blend = "blend";
    public const string PostProcess = "postprocess";
    public const string Encode = "encode";
    public const string BlobWrite = "blob_write";
}
