using System.CommandLine;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Client;

/// <summary>
/// The options that describe a job, shared by <c>segment</c> and <c>submit</c> so both take the same
/// words: the fields of a <see cref="JobRequest"/>, with its defaults and descriptions, which checks them
/// as the job API does.
/// </summary>
internal sealed class JobSpecOptions
{
    /// <summary>Where the SAS of each blob location comes from: a signature on the command line would show in process listings.</summary>
    public const string InputSasVariable = "UNETPP_INPUT_SAS";
    public const string OutputSasVariable = "UNETPP_OUTPUT_SAS";
    public const string LabelsSasVariable = "UNETPP_LABELS_SAS";
    public const string ModelSasVariable = "UNETPP_MODEL_SAS";

    private readonly Argument<string> input = new("input") { Description = JobRequest.Describe(nameof(JobRequest.Input)) };
    private readonly Option<string> output = new("--out") { Description = JobRequest.Describe(nameof(JobRequest.Output)), Required = true };
    private readonly Option<string?> model = new("--model") { Description = JobRequest.Describe(nameof(JobRequest.Model)) };
    private readonly Option<string> mode = new("--mode") { Description = JobRequest.Describe(nameof(JobRequest.Mode)), DefaultValueFactory = _ => JobRequest.Defaults.Mode };
    private readonly Option<int?> tile = new("--tile") { Description = JobRequest.Describe(nameof(JobRequest.Tile)) };
    private readonly Option<double> overlap = new("--overlap") { Description = JobRequest.Describe(nameof(JobRequest.Overlap)), DefaultValueFactory = _ => JobRequest.Defaults.Overlap };
    private readonly Option<int?> batch = new("--batch") { Description = JobRequest.Describe(nameof(JobRequest.Batch)) };
    private readonly Option<string?> labels = new("--labels") { Description = JobRequest.Describe(nameof(JobRequest.Labels)) };
    private readonly Option<bool> probabilities = new("--probabilities") { Description = JobRequest.Describe(nameof(JobRequest.Probabilities)) };
    private readonly Option<bool> overlays = new("--overlays") { Description = JobRequest.Describe(nameof(JobRequest.Overlays)) };
    private readonly Option<long> maxPixels = new("--max-pixels") { Description = JobRequest.Describe(nameof(JobRequest.MaxPixels)), DefaultValueFactory = _ => JobRequest.Defaults.MaxPixels };
    private readonly Option<int> shardSize = new("--shard-size") { Description = JobRequest.Describe(nameof(JobRequest.ShardSize)), DefaultValueFactory = _ => JobRequest.Defaults.ShardSize };
    private readonly Option<long> regionPixels = new("--region-pixels") { Description = JobRequest.Describe(nameof(JobRequest.RegionPixels)), DefaultValueFactory = _ => JobRequest.Defaults.RegionPixels };
    private readonly Option<int> regionSize = new("--region-size") { Description = JobRequest.Describe(nameof(JobRequest.RegionSize)), DefaultValueFactory = _ => JobRequest.Defaults.RegionSize };
    private readonly Option<bool> tta = new("--tta") { Description = JobRequest.Describe(nameof(JobRequest.Tta)) };
    private readonly Option<bool> overwrite = new("--overwrite") { Description = JobRequest.Describe(nameof(JobRequest.Overwrite)) };
    private readonly Option<bool> resume = new("--resume") { Description = JobRequest.Describe(nameof(JobRequest.Resume)) };
    private readonly Option<bool> retryFailed = new("--retry-failed") { Description = JobRequest.Describe(nameof(JobRequest.RetryFailed)) };
    private readonly Option<string?> normalize = new("--normalize") { Description = JobRequest.Describe(nameof(JobRequest.Normalize)) };
    private readonly Option<string?> maskFormat = new("--mask-format") { Description = JobRequest.Describe(nameof(JobRequest.MaskFormat)) };
    private readonly Option<string?> channels = new("--channels") { Description = JobRequest.Describe(nameof(JobRequest.Channels)) };
    private readonly Option<string?> pages = new("--pages") { Description = JobRequest.Describe(nameof(JobRequest.Pages)) };
    private readonly Option<bool> instances = new("--instances") { Description = JobRequest.Describe(nameof(JobRequest.Instances)) };
    private readonly Option<bool> objects = new("--objects") { Description = JobRequest.Describe(nameof(JobRequest.Objects)) };
    private readonly Option<bool> geoJson = new("--geojson") { Description = JobRequest.Describe(nameof(JobRequest.GeoJson)) };
    private readonly Option<int?> minObjectSize = new("--min-object-size") { Description = JobRequest.Describe(nameof(JobRequest.MinObjectSize)) };
    private readonly Option<int> maxAttempts = new("--max-attempts") { Description = JobRequest.Describe(nameof(JobRequest.MaxAttempts)), DefaultValueFactory = _ => JobRequest.Defaults.MaxAttempts };

    public void AddTo(Command command)
    {
        command.Arguments.Add(input);
        foreach (var option in new Option[] { output, model, mode, tile, overlap, batch, labels, probabilities, overlays, maskFormat, instances, objects, geoJson, minObjectSize, tta, normalize, channels, pages, maxPixels, regionPixels, regionSize, shardSize, maxAttempts, overwrite, resume, retryFailed })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// The job the user described, its locations as the silos will take them: local paths made absolute
    /// from this folder, a blob location's SAS from the environment. <see cref="JobRequest.ToSpec"/> checks it.
    /// </summary>
    public JobRequest Request(ParseResult parse) => new()
    {
        Input = Localise(SecretArguments.Location("input", parse.GetRequiredValue(input), InputSasVariable)),
        Output = Localise(SecretArguments.Location("--out", parse.GetRequiredValue(output), OutputSasVariable)),
        Model = parse.GetValue(model) is { } m ? Localise(SecretArguments.Location("--model", m, ModelSasVariable)) : null,
        Mode = parse.GetRequiredValue(mode),
        Tile = parse.GetValue(tile),
        Overlap = parse.GetValue(overlap),
        Batch = parse.GetValue(batch),
        Labels = parse.GetValue(labels) is { } l ? Localise(SecretArguments.Location("--labels", l, LabelsSasVariable)) : null,
        Probabilities = parse.GetValue(probabilities),
        Overlays = parse.GetValue(overlays),
        MaxPixels = parse.GetValue(maxPixels),
        ShardSize = parse.GetValue(shardSize),
        MaxAttempts = parse.GetValue(maxAttempts),
        RegionPixels = parse.GetValue(regionPixels),
        RegionSize = parse.GetValue(regionSize),
        Tta = parse.GetValue(tta),
        Normalize = parse.GetValue(normalize),
        Channels = parse.GetValue(channels),
        Pages = parse.GetValue(pages),
        MaskFormat = parse.GetValue(maskFormat),
        Instances = parse.GetValue(instances),
        Objects = parse.GetValue(objects),
        GeoJson = parse.GetValue(geoJson),
        MinObjectSize = parse.GetValue(minObjectSize),
        Overwrite = parse.GetValue(overwrite),
        Resume = parse.GetValue(resume),
        RetryFailed = parse.GetValue(retryFailed),
    };

    /// <summary>The line that tells the user the output, inside the input, is not among the images; null when it is elsewhere.</summary>
    public static string? LeftOut(JobSpec spec) =>
        OutputPlacement.OutputInsideInput(spec) is { } path ? $"Leaving {path} out of the input: it is the output." : null;

    /// <summary>Local paths travel to silos as absolute paths: a silo's working folder is not the user's.</summary>
    private static string Localise(string location) => JobRequest.IsLocal(location) ? Path.GetFullPath(location) : location;
}
