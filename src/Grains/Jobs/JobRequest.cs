using System.Buffers;
using System.ComponentModel;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// A job in the words a user gives it, to <c>unetpp submit</c> and <c>segment</c> or as the body of the
/// job API's <c>POST /v1/jobs</c>, and the one place those words become a checked <see cref="JobSpec"/>:
/// both doors refuse the same mistake with the same line. Fields left out take the command line's defaults.
/// </summary>
[Description("A job: which images to segment, where the results go, and how. Only input and output are required; every other field has the default of 'unetpp submit'.")]
public sealed record JobRequest
{
    /// <summary>Where the fields' defaults come from: the job spec's own.</summary>
    private static readonly JobSpec DefaultSpec = new() { Input = "", Output = "" };

    /// <summary>Every field but input and output at the value a user who leaves it out gets.</summary>
    public static readonly JobRequest Defaults = new() { Input = "", Output = "" };

    [Description("Images: a file, a folder (sub-folders included), az://container/prefix or a blob URL; through the job API a local path must be absolute.")]
    public required string Input { get; init; }

    [Description("Where masks/, overlays/, probabilities/ and report.json with report.html go (folder or blob location).")]
    public required string Output { get; init; }

    [Description("The job id (default: a new one); submitting the same job under the same id again is harmless.")]
    public string? Id { get; init; }

    [Description("ONNX model file or blob (default: the built-in model).")]
    public string? Model { get; init; }

    [Description("L4, L3, L2, L1 (pruned, faster) or accurate (mean of the four heads).")]
    public string Mode { get; init; } = DefaultSpec.Mode;

    [Description("Tile edge in pixels, a multiple of 16 (default: the model card's hint).")]
    public int? Tile { get; init; }

    [Description("Fraction of a tile shared with its neighbours.")]
    public double Overlap { get; init; } = DefaultSpec.Overlap;

    [Description("Tiles per model run (default: each silo's Inference:BatchSize).")]
    public int? Batch { get; init; }

    [Description("Ground-truth masks with the same names: adds IoU and Dice.")]
    public string? Labels { get; init; }

    [Description("Also write 16-bit probability maps.")]
    public bool Probabilities { get; init; }

    [Description("Also write previews with the mask outlined on the image.")]
    public bool Overlays { get; init; }

    [Description("How masks and probability maps are stored: png (default), tiff, or ome-tiff (tiled, pyramidal, with the input's pixel size; for QuPath, napari and libvips).")]
    public string? MaskFormat { get; init; }

    [Description("Also write instances/: 16-bit label images (32-bit TIFF above 65,535 objects) with touching nuclei apart, background 0, each object its own id.")]
    public bool Instances { get; init; }

    [Description("Also write objects.csv and objects.parquet: one row per object with its area, centroid, box, shape, intensity per channel and probability (in µm too where the image has a pixel size).")]
    public bool Objects { get; init; }

    [JsonPropertyName("geojson")]
    [Description("Also write geojson/: each image's objects as QuPath detections (a GeoJSON FeatureCollection in pixel coordinates).")]
    public bool GeoJson { get; init; }

    [Description("Leave objects of fewer pixels out of labels, counts and measurements (default: the model card's).")]
    public int? MinObjectSize { get; init; }

    [Description("Test-time augmentation: average each tile with its horizontal, vertical and double flips (about 4× the inference).")]
    public bool Tta { get; init; }

    [Description("How intensities become model input: fixed (the model card's mean and std), percentile[:low,high] (each image's own 1st and 99.8th percentiles per channel map to 0 and 1; for 12- and 16-bit data) or zscore (each image's own mean and standard deviation). Default: the model card's.")]
    public string? Normalize { get; init; }

    [Description("The image channels the model is given, in order, by number from 0 or OME channel name: 0, 2,0,1, DAPI or DAPI,GFP (one channel is replicated for a three-channel model). Default: the image's channels as they are.")]
    public string? Channels { get; init; }

    [Description("Which planes of a multi-page TIFF or an OME-TIFF with Z or T become images (x.p3, x.z3, x.t3, x.z3.t1): all, first, or plane numbers and ranges such as 0,2,5-7. Default: all.")]
    public string? Pages { get; init; }

    [Description("Refuse larger images before decoding them.")]
    public long MaxPixels { get; init; } = DefaultSpec.MaxPixels;

    [Description("Cut larger images into bands that several workers segment at once (same mask bytes).")]
    public long RegionPixels { get; init; } = DefaultSpec.RegionPixels;

    [Description("Height in rows of the bands a large image is cut into, each streamed by one worker.")]
    public int RegionSize { get; init; } = DefaultSpec.RegionSize;

    [Description("Images per shard, the unit a worker leases.")]
    public int ShardSize { get; init; } = DefaultSpec.ShardSize;

    [Description("Tries per image before it is reported failed.")]
    public int MaxAttempts { get; init; } = DefaultSpec.MaxAttempts;

    [Description("Write into an output that holds another job's results (refused otherwise).")]
    public bool Overwrite { get; init; }

    [Description("Continue into an output that holds an earlier job's results: skip images whose outputs are complete and made from the same input, model and options.")]
    public bool Resume { get; init; }

    [Description("Segment again only the images the output's earlier job failed (its report.json lists them).")]
    public bool RetryFailed { get; init; }

    [JsonConverter(typeof(PriorityWord))]
    [Description("How soon workers take this job's shards beside other jobs': low, normal, high, or a whole number from -10 to 10; higher first. A job that waits rises one step per the silos' Jobs:PriorityAgeing (a minute), so none waits for ever.")]
    public string Priority { get; init; } = JobPriority.Name(DefaultSpec.Priority);

    /// <summary>What a field means, as the job API's schema and the command line's help both say it.</summary>
    public static string Describe(string property) =>
        typeof(JobRequest).GetProperty(property)?.GetCustomAttribute<DescriptionAttribute>()?.Description
        ?? throw new ArgumentException($"{nameof(JobRequest)} has no described field {property}.", nameof(property));

    /// <summary>The id the job runs under: the one given, trimmed, or a new one.</summary>
    public string JobId() =>
        Id is null ? SegmentationClient.NewJobId()
        : Id.Trim() is { Length: > 0 } id ? id
        : throw new ArgumentException("--id must not be empty.");

    /// <summary>
    /// The job the user described, checked as far as this machine can: every word and number, where the
    /// output lies, and local input, labels and model files (a model that will not load or lacks the
    /// mode fails here, before anything starts, rather than on every image in the cluster).
    /// </summary>
    /// <exception cref="ArgumentException">A mistake, in one line naming the setting and the value.</exception>
    /// <exception cref="ModelException">A local model that cannot be used, naming the file.</exception>
    public JobSpec ToSpec()
    {
        var spec = new JobSpec
        {
            Input = Input,
            Output = Output,
            Model = Model,
            Mode = OptionValue.Read("--mode", Mode, InferenceModes.Parse).ToName(),
            TileSize = Tile,
            Overlap = Overlap,
            BatchSize = Batch,
            Labels = Labels,
            Probabilities = Probabilities,
            Overlays = Overlays,
            MaxPixels = MaxPixels,
            ShardSize = ShardSize,
            MaxAttempts = MaxAttempts,
            RegionPixels = RegionPixels,
            RegionSize = RegionSize,
            Tta = Tta,
            Normalize = Normalize is { } n ? NormalizationChoice.Parse(n).ToString() : null,
            Channels = Channels is { } c ? ChannelChoice.Parse(c).ToString() : null,
            Pages = Pages is { } p ? PageChoice.Parse(p).ToString() : null,
            MaskFormat = MaskFormat is { } f ? MaskFormats.Of(f).ToName() : null,
            Instances = Instances,
            Objects = Objects,
            GeoJson = GeoJson,
            MinObjectSize = MinObjectSize,
            Overwrite = Overwrite,
            Resume = Resume,
            RetryFailed = RetryFailed,
            Priority = OptionValue.Read("--priority", Priority, JobPriority.Parse),
        };
        spec.Validate();
        CheckLocalFiles(spec);
        return spec;
    }

    /// <summary>Whether a location is a path on the machine's own disk rather than a blob location.</summary>
    public static bool IsLocal(string location) => !location.Contains("://", StringComparison.Ordinal);

    private static void CheckLocalFiles(JobSpec spec)
    {
        if (OutputPlacement.WhyRefused(spec) is { } refusal)
        {
            throw new ArgumentException(refusal);
        }

        if (IsLocal(spec.Input) && !File.Exists(spec.Input) && !Directory.Exists(spec.Input))
        {
            throw new ArgumentException($"{spec.Input}: no such file or folder.");
        }

        if (spec.Labels is { } labels && IsLocal(labels) && !Directory.Exists(labels))
        {
            throw new ArgumentException($"--labels {labels}: no such folder.");
        }

        if (spec.Model is { } path && IsLocal(path))
        {
            var card = ModelFile.Load(path).Card;
            var mode = InferenceModes.Parse(spec.Mode);
            if (!card.Supports(mode))
            {
                throw new ModelException($"{path}: mode {spec.Mode} is not available; this model offers {string.Join(", ", card.Modes)}.");
            }
        }
    }

    /// <summary>A priority as a word or a number: JSON gives the named ones as text and the others as either.</summary>
    private sealed class PriorityWord : JsonConverter<string>
    {
        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString()!,
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            _ => throw new JsonException(),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value);
    }
}
