using System.Diagnostics.Metrics;

namespace UNetPP.Cluster.Segmentation.Engine;

/// <summary>
/// The engine's instruments on meter <see cref="MeterName"/>; a host that exports metrics picks
/// them up by that name, and nothing is recorded elsewhere twice.
/// </summary>
public static class SegmentationMetrics
{
    public const string MeterName = "UNetPP.Cluster.Segmentation";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>(
        "unetpp.stage.duration", unit: "s", description: "Time one image spent in one pipeline stage.");

    private static readonly Counter<long> Images = Meter.CreateCounter<long>(
        "unetpp.images", unit: "{image}", description: "Images segmented or refused, by outcome.");

    private static readonly Counter<long> Tiles = Meter.CreateCounter<long>(
        "unetpp.tiles", unit: "{tile}", description: "Grid tiles segmented (once each, also when test-time augmentation runs them four times).");

    internal static void Record(StageTimes times, int tiles)
    {
        StageDuration.Record(times.Decode.TotalSeconds, new KeyValuePair<string, object?>("stage", "decode"));
        StageDuration.Record(times.Infer.TotalSeconds, new KeyValuePair<string, object?>("stage", "infer"));
        StageDuration.Record(times.Blend.TotalSeconds, new KeyValuePair<string, object?>("stage", "blend"));
        StageDuration.Record(times.PostProcess.TotalSeconds, new KeyValuePair<string, object?>("stage", "postprocess"));
        StageDuration.Record(times.Encode.TotalSeconds, new KeyValuePair<string, object?>("stage", "encode"));
        Tiles.Add(tiles);
    }

    /// <summary>Counted apart from <see cref="Record"/>: a large image's regions are recorded one by one but make one image.</summary>
    internal static void RecordSegmented() => Images.Add(1, new KeyValuePair<string, object?>("outcome", "segmented"));

    internal static void RecordRefused() => Images.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
}
