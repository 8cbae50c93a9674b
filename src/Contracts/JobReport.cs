using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UNetPP.Cluster.Contracts;

/// <summary>
/// The job's <c>report.json</c>, written next to the masks when the job ends: what ran, how fast,
/// what came out of every image, which silo did how much, and every failure with its reason.
/// </summary>
/// <param name="Version">The version of the tool that wrote the report.</param>
/// <param name="Silos">Per silo: how many images its workers segmented, on which device, with which tile and batch.</param>
/// <param name="Resume">What a job that continued an earlier job's output skipped, redid or left out, and why.</param>
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
    IReadOnlyList<ImageFailure> Failures,
    string? Version = null,
    IReadOnlyList<ReportSilo>? Silos = null,
    ReportResume? Resume = null,
    InstanceQuality? Instances = null)
{
    /// <summary>The report's name under the job's output.</summary>
    public const string FileName = "report.json";

    /// <summary>The same report as a page for people, beside <see cref="FileName"/>.</summary>
    public const string PageFileName = "report.html";

    /// <summary>The file in an output that names (by id) the job whose results the output holds.</summary>
    public const string OwnerFileName = ".unetpp-job";

    /// <summary>What each time in the report measures, written into the report itself so a reader need not guess.</summary>
    public IReadOnlyDictionary<string, string> Times { get; init; } = TimeMeanings;

    private static readonly Dictionary<string, string> TimeMeanings = new()
    {
        ["throughput.seconds"] = "wall time from the job's start (its plan made) to its end",
        ["images[].seconds"] = "wall time from the lease of the image's shard to its outputs written (a large image cut into bands: from its first band's lease to its stitched outputs written); a skipped image keeps the time of the run that made it",
    };

    private static readonly JsonSerializerOptions Json = new()
    {
        // Names and reasons stay as written (UNet++, not UNet\u002B\u002B): report.json is a file, not HTML; the page escapes what it shows.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
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
/// <param name="TileSize">The tile edge the engines used; null only when no engine ran.</param>
/// <param name="BatchSize">The tiles per model run the engines used (the largest, when silos differed); null only when no engine ran.</param>
/// <param name="Tta">Whether each tile's prediction was averaged with its flipped views (test-time augmentation).</param>
/// <param name="Sha256">The SHA-256 of the model file's bytes, as the engines loaded it.</param>
public sealed record ReportModel(string Source, string Mode, int? TileSize, double Overlap, int? BatchSize, bool Tta, string? Sha256 = null);

/// <param name="Done">Images with current outputs, <paramref name="Skipped"/> included.</param>
/// <param name="Skipped">Images an earlier job had done, with outputs complete and current, not segmented again.</param>
/// <param name="LeftOut">With --retry-failed, images the earlier job did not fail whose outputs were not current.</param>
public sealed record ReportCounts(int Total, int Done, int Failed, int Skipped = 0, int LeftOut = 0);

/// <summary>One silo's part: what its workers segmented, and how their engines really ran.</summary>
public sealed record ReportSilo(string Silo, int Images, string Device, int TileSize, int BatchSize);

/// <summary>What a job continuing an earlier job's output (--resume, --retry-failed) did with what it found there.</summary>
/// <param name="PreviousJob">The job whose results the output held.</param>
public sealed record ReportResume(string? PreviousJob, IReadOnlyList<ReportNote> Skipped, IReadOnlyList<ReportNote> Redone, IReadOnlyList<ReportNote> LeftOut);

/// <summary>An image, and why it was skipped, redone or left out.</summary>
public sealed record ReportNote(string Name, string Reason);

/// <param name="Seconds">From the job's start to its end.</param>
public sealed record ReportThroughput(double Seconds, double ImagesPerSecond, double TilesPerSecond, long Tiles);

/// <summary>Mean IoU and Dice over the images that had ground truth (the seed's definitions).</summary>
public sealed record ReportQuality(int Images, [property: JsonPropertyName("meanIou")] double MeanIoU, double MeanDice);

/// <param name="Seconds">See <see cref="JobReport.Times"/>.</param>
/// <param name="MadeBy">For an image skipped as done and current, the job whose run made its outputs.</param>
/// <param name="Warning">What the user should know about the image's input (too faint for a fixed normalisation, say).</param>
/// <param name="Instances">How the objects found match the ground truth's, when it held instance labels.</param>
/// <param name="Labels">What the image's ground truth held: class masks, binary masks or instance labels; null without ground truth.</param>
/// <param name="LabelImage">The instance label image's name under the output, when the job wrote one.</param>
public sealed record ImageReport(
    string Name,
    string Mask,
    int Width,
    int Height,
    int Tiles,
    IReadOnlyList<ClassSummary> Classes,
    double Seconds,
    string? MadeBy = null,
    string? Warning = null,
    InstanceQuality? Instances = null,
    LabelsKind? Labels = null,
    string? LabelImage = null);
