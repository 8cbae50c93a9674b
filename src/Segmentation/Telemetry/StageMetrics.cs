using System.Diagnostics.Metrics;

namespace UNetPP.Cluster.Segmentation.Telemetry;

/// <summary>
/// Stage durations (<c>unetpp_stage_duration_seconds</c>) and tiles segmented (<c>unetpp_tiles_total</c>).
/// A stage is timed per image, except inference (per model run) and queue_wait (per request of tiles).
/// </summary>
public static class StageMetrics
{
    private static readonly Histogram<double> Duration = EngineTelemetry.Meter.CreateHistogram<double>(
        "unetpp.stage.duration", unit: "s", description: "Time spent in one pipeline stage: per image, per model run for inference, per request of tiles for queue_wait.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = EngineTelemetry.SecondsBuckets });

    private static readonly Counter<long> Tiles = EngineTelemetry.Meter.CreateCounter<long>(
        "unetpp.tiles", unit: "{tile}", description: "Grid tiles segmented (once each, also when test-time augmentation runs them four times).");

    public static void RecordDuration(string stage, string device, TimeSpan elapsed) =>
        Duration.Record(elapsed.TotalSeconds, EngineTelemetry.Tag("stage", stage), EngineTelemetry.Tag("device", device));

    internal static void RecordTiles(string device, int tiles) => Tiles.Add(tiles, EngineTelemetry.Tag("device", device));
}
