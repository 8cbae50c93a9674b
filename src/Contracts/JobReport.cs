using System.Text.Json;
using System.Text.Json.Serialization;

namespace UNetPP.Cluster.Contracts;

/// <summary>
/// The job's <c>report.json</c>, written next to the masks when the job ends: what ran, how fast,
/// what came out of every image, which silo did how much, and every failure with its reason.
/// </summary>
public sealed record JobReport(
    string JobId,
    JobState State,
    string Input,
    string Output,
    ReportModel Model,
    DateTimeOffset? Started,
    DateTimeOffset? Finished,
    ReportCounts Counts,
    ReportThroughput Throughput,
    ReportQuality? Quality,
    IReadOnlyDictionary<string, int> ImagesBySilo,
    IReadOnlyList<ImageReport> Images,
    IReadOnlyList<ImageFailure> Failures)
{
    /// <summary>The report's name under the job's output.</summary>
    public const string FileName = "report.json";

    /// <summary>The same report as a page for people, beside <see cref="FileName"/>.</summary>
    public const string PageFileName = "report.html";

    /// <summary>The file in an output that names (by id) the job whose results the output holds.</summary>
    public const string OwnerFileName = ".unetpp-job";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static JobReport FromJson(string json) =>
        JsonSerializer.Deserialize<JobReport>(json, Json) ?? throw new InvalidDataException("The report is empty.");
}

/// <param name="Source">The model's location, or the built-in model's name.</param>
/// <param name="Tta">Whether each tile's prediction was averaged with its flipped views (test-time augmentation).</param>
public sealed record ReportModel(string Source, string Mode, int? TileSize, double Overlap, int? BatchSize, bool Tta);

public sealed record ReportCounts(int Total, int Done, int Failed);

/// <param name="Seconds">From the job's start to its end.</param>
public sealed record ReportThroughput(double Seconds, double ImagesPerSecond, double TilesPerSecond, long Tiles);

/// <summary>Mean IoU and Dice over the images that had ground truth (the seed's definitions).</summary>
public sealed record ReportQuality(int Images, double MeanIoU, double MeanDice);

public sealed record ImageReport(string Name, string Mask, int Width, int Height, int Tiles, IReadOnlyList<ClassSummary> Classes, double Seconds);
