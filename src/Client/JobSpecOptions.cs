using System.CommandLine;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Client;

/// <summary>The options that describe a job, shared by <c>segment</c> and <c>submit</c> so both take the same words.</summary>
internal sealed class JobSpecOptions
{
    /// <summary>Where the SAS of each blob location comes from: a signature on the command line would show in process listings.</summary>
    public const string InputSasVariable = "UNETPP_INPUT_SAS";
    public const string OutputSasVariable = "UNETPP_OUTPUT_SAS";
    public const string LabelsSasVariable = "UNETPP_LABELS_SAS";
    public const string ModelSasVariable = "UNETPP_MODEL_SAS";

    private readonly Argument<string> input = new("input") { Description = "Images: a file, a folder (sub-folders included), az://container/prefix or a blob URL." };
    private readonly Option<string> output = new("--out") { Description = "Where masks/, overlays/, probabilities/ and report.json with report.html go (folder or blob location).", Required = true };
    private readonly Option<string?> model = new("--model") { Description = "ONNX model file or blob (default: the built-in model)." };
    private readonly Option<string> mode = new("--mode") { Description = "L4, L3, L2, L1 (pruned, faster) or accurate (mean of the four heads).", DefaultValueFactory = _ => "L4" };
    private readonly Option<int?> tile = new("--tile") { Description = "Tile edge in pixels, a multiple of 16 (default: the model card's hint)." };
    private readonly Option<double> overlap = new("--overlap") { Description = "Fraction of a tile shared with its neighbours.", DefaultValueFactory = _ => 0.25 };
    private readonly Option<int?> batch = new("--batch") { Description = "Tiles per model run (default: each silo's Inference:BatchSize)." };
    private readonly Option<string?> labels = new("--labels") { Description = "Ground-truth masks with the same names: adds IoU and Dice." };
    private readonly Option<bool> probabilities = new("--probabilities") { Description = "Also write 16-bit probability maps." };
    private readonly Option<bool> overlays = new("--overlays") { Description = "Also write previews with the mask outlined on the image." };
    private readonly Option<long> maxPixels = new("--max-pixels") { Description = "Refuse larger images before decoding them.", DefaultValueFactory = _ => 1_000_000_000 };
    private readonly Option<int> shardSize = new("--shard-size") { Description = "Images per shard, the unit a worker leases.", DefaultValueFactory = _ => 8 };
    private readonly Option<long> regionPixels = new("--region-pixels") { Description = "Cut larger images into bands that several workers segment at once (same mask bytes).", DefaultValueFactory = _ => 4096L * 4096 };
    private readonly Option<int> regionSize = new("--region-size") { Description = "Height in rows of the bands a large image is cut into, each streamed by one worker.", DefaultValueFactory = _ => JobSpec.DefaultRegionSize };
    private readonly Option<bool> tta = new("--tta") { Description = "Test-time augmentation: average each tile with its horizontal, vertical and double flips (about 4× the inference)." };
    private readonly Option<bool> overwrite = new("--overwrite") { Description = "Write into an output that holds another job's results (refused otherwise)." };
    private readonly Option<bool> resume = new("--resume") { Description = "Continue into an output that holds an earlier job's results: skip images whose outputs are complete and made from the same input, model and options." };
    private readonly Option<bool> retryFailed = new("--retry-failed") { Description = "Segment again only the images the output's earlier job failed (its report.json lists them)." };
    private readonly Option<string?> normalize = new("--normalize") { Description = "How intensities become model input: fixed (the model card's mean and std), percentile[:low,high] (each image's own 1st and 99.8th percentiles per channel map to 0 and 1; for 12- and 16-bit data) or zscore (each image's own mean and standard deviation). Default: the model card's." };
    private readonly Option<string?> maskFormat = new("--mask-format") { Description = "How masks and probability maps are stored: png (default), tiff, or ome-tiff (tiled, pyramidal, with the input's pixel size; for QuPath, napari and libvips)." };
    private readonly Option<string?> channels = new("--channels") { Description = "The image channels the model is given, in order, by number from 0 or OME channel name: 0, 2,0,1, DAPI or DAPI,GFP (one channel is replicated for a three-channel model). Default: the image's channels as they are." };
    private readonly Option<string?> pages = new("--pages") { Description = "Which planes of a multi-page TIFF or an OME-TIFF with Z or T become images (x.p3, x.z3, x.t3, x.z3.t1): all, first, or plane numbers and ranges such as 0,2,5-7. Default: all." };
    private readonly Option<bool> instances = new("--instances") { Description = "Also write instances/: 16-bit label images (32-bit TIFF above 65,535 objects) with touching nuclei apart, background 0, each object its own id." };
    private readonly Option<bool> objects = new("--objects") { Description = "Also write objects.csv and objects.parquet: one row per object with its area, centroid, box, shape, intensity per channel and probability (in µm too where the image has a pixel size)." };
    private readonly Option<bool> geoJson = new("--geojson") { Description = "Also write geojson/: each image's objects as QuPath detections (a GeoJSON FeatureCollection in pixel coordinates)." };
    private readonly Option<int?> minObjectSize = new("--min-object-size") { Description = "Leave objects of fewer pixels out of labels, counts and measurements (default: the model card's)." };
    private readonly Option<int> maxAttempts = new("--max-attempts") { Description = "Tries per image before it is reported failed.", DefaultValueFactory = _ => 3 };

    public void AddTo(Command command)
    {
        command.Arguments.Add(input);
        foreach (var option in new Option[] { output, model, mode, tile, overlap, batch, labels, probabilities, overlays, maskFormat, instances, objects, geoJson, minObjectSize, tta, normalize, channels, pages, maxPixels, regionPixels, regionSize, shardSize, maxAttempts, overwrite, resume, retryFailed })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// The job the user described, checked as far as this machine can: settings, and local input,
    /// labels and model files (a model that will not load or lacks the mode fails here, before
    /// anything starts, rather than on every image in the cluster).
    /// </summary>
    public JobSpec Read(ParseResult parse)
    {
        var spec = new JobSpec
        {
            Input = Localise(SecretArguments.Location("input", parse.GetRequiredValue(input), InputSasVariable)),
            Output = Localise(SecretArguments.Location("--out", parse.GetRequiredValue(output), OutputSasVariable)),
            Model = parse.GetValue(model) is { } m ? Localise(SecretArguments.Location("--model", m, ModelSasVariable)) : null,
            Mode = OptionValue.Read("--mode", parse.GetRequiredValue(mode), InferenceModes.Parse).ToName(),
            TileSize = parse.GetValue(tile),
            Overlap = parse.GetValue(overlap),
            BatchSize = parse.GetValue(batch),
            Labels = parse.GetValue(labels) is { } l ? Localise(SecretArguments.Location("--labels", l, LabelsSasVariable)) : null,
            Probabilities = parse.GetValue(probabilities),
            Overlays = parse.GetValue(overlays),
            MaxPixels = parse.GetValue(maxPixels),
            ShardSize = parse.GetValue(shardSize),
            MaxAttempts = parse.GetValue(maxAttempts),
            RegionPixels = parse.GetValue(regionPixels),
            RegionSize = parse.GetValue(regionSize),
            Tta = parse.GetValue(tta),
            Normalize = parse.GetValue(normalize) is { } n ? NormalizationChoice.Parse(n).ToString() : null,
            Channels = parse.GetValue(channels) is { } c ? ChannelChoice.Parse(c).ToString() : null,
            Pages = parse.GetValue(pages) is { } p ? PageChoice.Parse(p).ToString() : null,
            MaskFormat = parse.GetValue(maskFormat) is { } f ? MaskFormats.Of(f).ToName() : null,
            Instances = parse.GetValue(instances),
            Objects = parse.GetValue(objects),
            GeoJson = parse.GetValue(geoJson),
            MinObjectSize = parse.GetValue(minObjectSize),
            Overwrite = parse.GetValue(overwrite),
            Resume = parse.GetValue(resume),
            RetryFailed = parse.GetValue(retryFailed),
        };
        spec.Validate();
        CheckLocalFiles(spec);
        return spec;
    }

    /// <summary>The line that tells the user the output, inside the input, is not among the images; null when it is elsewhere.</summary>
    public static string? LeftOut(JobSpec spec) =>
        OutputPlacement.OutputInsideInput(spec) is { } path ? $"Leaving {path} out of the input: it is the output." : null;

    private static void CheckLocalFiles(JobSpec spec)
    {
        if (OutputPlacement.WhyRefused(spec) is { } refusal)
        {
            throw new UsageException(refusal);
        }

        if (IsLocal(spec.Input) && !File.Exists(spec.Input) && !Directory.Exists(spec.Input))
        {
            throw new UsageException($"{spec.Input}: no such file or folder.");
        }

        if (spec.Labels is { } labels && IsLocal(labels) && !Directory.Exists(labels))
        {
            throw new UsageException($"--labels {labels}: no such folder.");
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

    /// <summary>Local paths travel to silos as absolute paths: a silo's working folder is not the user's.</summary>
    private static string Localise(string location) => IsLocal(location) ? Path.GetFullPath(location) : location;

    private static bool IsLocal(string location) =>
        !location.Contains("://", StringComparison.Ordinal);
}
