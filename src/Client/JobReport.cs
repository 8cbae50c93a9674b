using System.Text.Json;
using System.Text.Json.Serialization;

namespace UNetPP.Cluster.Client;

/// <summary>The job's <c>report.json</c>: what ran, how fast, what came out of every image, and every failure.</summary>
internal sealed record JobReport(
    string Input,
    string Output,
    ReportModel Model,
    string Device,
    DateTimeOffset Started,
    DateTimeOffset Finished,
    ReportCounts Counts,
    ReportThroughput Throughput,
    ReportStageSeconds StageSeconds,
    ReportQuality? Quality,
    IReadOnlyList<ImageReport> Images,
    IReadOnlyList<ImageFailure> Failures)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static JobReport FromJson(string json) =>
        JsonSerializer.Deserialize<JobReport>(json, Json) ?? throw new InvalidDataException("The report is empty.");
}

internal sealed record ReportModel(string Source, string Architecture, IReadOnlyList<int> Filters, string Mode, int TileSize, double Overlap, int BatchSize);

internal sealed record ReportCounts(int Total, int Done, int Failed);

/// <param name="Seconds">Wall time from the first image read to the last file written.</param>
/// <param name="MeanBatchFill">Tiles per model run as a fraction of the batch size.</param>
internal sealed record ReportThroughput(double Seconds, double ImagesPerSecond, double TilesPerSecond, long Tiles, long Batches, double MeanBatchFill);

/// <summary>Seconds spent in each stage, summed over images (stages of different images overlap in time).</summary>
internal sealed record ReportStageSeconds(double Read, double Decode, double Infer, double Blend, double PostProcess, double Encode, double Write);

/// <summary>Mean IoU and Dice over the images that had ground truth (the seed's definitions).</summary>
internal sealed record ReportQuality(int Images, double MeanIoU, double MeanDice);

internal sealed record ImageReport(
    string Name,
    string Mask,
    int Width,
    int Height,
    int Tiles,
    IReadOnlyList<ClassReport> Classes,
    double Seconds);

/// <param name="ObjectCount">Connected objects (8-connectivity).</param>
internal sealed record ClassReport(
    int Class,
    double ForegroundFraction,
    double MeanProbability,
    int ObjectCount,
    double MeanObjectArea,
    int LargestObjectArea,
    double? IoU,
    double? Dice);

internal sealed record ImageFailure(string Name, string Reason);
