using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp model build</c>: writes a NestedUNet as ONNX with its card, with weights drawn from a seed
/// or read from a PyTorch state dict saved as safetensors.
/// </summary>
internal sealed class ModelBuildCommand : Command
{
    private readonly Option<string> outPath = new("--out")
    {
        Description = "The ONNX file to write (replaced atomically if it exists).",
        Required = true,
    };

    private readonly Option<int[]> filters = new("--filters")
    {
        Description = "Channel width of each of the five levels, comma-separated (default 32,64,128,256,512).",
        HelpName = "widths",
        CustomParser = FilterWidths.Parse,
        Arity = ArgumentArity.ExactlyOne,
    };

    private readonly Option<int?> inChannels = new("--in-channels")
    {
        Description = "Image channels the model takes (3 for RGB, 1 for grey); default 3, or what --weights say.",
    };

    private readonly Option<int?> classes = new("--classes")
    {
        Description = "Output channels: 1 for foreground/background (sigmoid), more for competing classes (softmax); default 1, or what --weights say.",
    };

    private readonly Option<bool> deepSupervision = new("--deep-supervision")
    {
        Description = "Four heads instead of one, which enables the fast L1–L3 modes and the accurate mode; --weights with four heads imply it.",
    };

    private readonly Option<string?> weights = new("--weights")
    {
        Description = "A PyTorch state dict saved as safetensors, whose shapes give the filters, channels, classes and heads; without it, weights are drawn from --seed.",
    };

    private readonly Option<int> seed = new("--seed")
    {
        Description = "Seed for PyTorch-style initial weights when no --weights are given.",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<int> tileSize = new("--tile-size")
    {
        Description = "Suggested tile edge recorded in the model card (a multiple of 16).",
        DefaultValueFactory = _ => new ModelCard().TileSize,
    };

    private readonly Option<float?> threshold = new("--threshold")
    {
        Description = "Foreground probability threshold recorded in the model card, in (0, 1); default 0.5.",
    };

    private readonly Option<string> precision = new("--precision")
    {
        Description = "fp32, or fp16: weights and activations in float16 inside, float32 input and outputs, for GPUs.",
        HelpName = "fp32|fp16",
        DefaultValueFactory = _ => ModelCard.Fp32,
    };

    public ModelBuildCommand(Terminal terminal)
        : base("build", "Build a UNet++ (NestedUNet) ONNX model file with its model card.")
    {
        Options.Add(outPath);
        Options.Add(filters);
        Options.Add(inChannels);
        Options.Add(classes);
        Options.Add(deepSupervision);
        Options.Add(weights);
        Options.Add(seed);
        Options.Add(tileSize);
        Options.Add(threshold);
        Options.Add(precision);
        SetAction(parse => Run(parse, terminal));
    }

    private int Run(ParseResult parse, Terminal terminal)
    {
        var path = parse.GetRequiredValue(outPath);
        var weightsPath = parse.GetValue(weights);
        var options = ChooseOptions(parse, weightsPath);
        var tile = parse.GetValue(tileSize);
        if (tile <= 0 || tile % 16 != 0)
        {
            throw new UsageException($"--tile-size must be a positive multiple of 16 (four 2× poolings divide it); got {tile}.");
        }

        var precisionName = parse.GetRequiredValue(precision);
        if (precisionName == ModelCard.Int8)
        {
            throw new UsageException($"--precision {ModelCard.Int8} is not built but calibrated: build the fp32 file, then 'unetpp model quantize' it on images.");
        }

        if (precisionName is not (ModelCard.Fp32 or ModelCard.Fp16))
        {
            throw new UsageException($"--precision must be {ModelCard.Fp32} or {ModelCard.Fp16}; got '{precisionName}'.");
        }

        var card = ModelCard.ForNestedUNet(options) with { TileSize = tile, Precision = precisionName };
        if (parse.GetValue(threshold) is { } limit)
        {
            if (limit is not (> 0 and < 1))
            {
                throw new UsageException($"--threshold must lie strictly between 0 and 1; got {limit.ToString(CultureInfo.InvariantCulture)}.");
            }

            card = card with { Threshold = limit };
        }

        var tensors = weightsPath is null
            ? NestedUNetWeights.CreateInitial(options, parse.GetValue(seed))
            : NestedUNetWeights.LoadSafetensors(weightsPath, options);
        var model = NestedUNetBuilder.Build(options, tensors, card);

        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        ModelFile.Save(model, path);

        var full = ModelFigures.Measure(model, card, InferenceMode.L4, card.TileSize, card.TileSize);
        var megabytes = new FileInfo(path).Length / (1024.0 * 1024.0);
        // Plain lines on the writer itself: a path must not be wrapped at the console width, so it can be copied.
        var output = terminal.Output;
        var weightsSource = weightsPath ?? $"initial, seed {parse.GetValue(seed).ToString(CultureInfo.InvariantCulture)}";
        output.WriteLine($"Wrote {Path.GetFullPath(path)}");
        output.WriteLine($"  Size        {megabytes.ToString("F1", CultureInfo.InvariantCulture)} MB");
        output.WriteLine($"  Parameters  {full.Parameters.ToString("N0", CultureInfo.InvariantCulture)}");
        output.WriteLine($"  Weights     {weightsSource}");
        output.WriteLine($"  Precision   {card.Precision}");
        output.WriteLine($"  Modes       {string.Join(", ", card.Modes)}");
        return ExitCodes.Success;
    }

    /// <summary>
    /// The options given, and for the rest what the weights' shapes say (or the defaults without weights);
    /// an option that contradicts the weights is refused rather than left to fail as a list of shapes.
    /// </summary>
    private NestedUNetOptions ChooseOptions(ParseResult parse, string? weightsPath)
    {
        var defaults = new NestedUNetOptions { DeepSupervision = false };
        var given = new NestedUNetOptions
        {
            Filters = parse.GetValue(filters) is { Length: > 0 } widths ? widths : defaults.Filters,
            InChannels = parse.GetValue(inChannels) is { } channels ? Positive(channels, "--in-channels") : defaults.InChannels,
            Classes = parse.GetValue(classes) is { } count ? Positive(count, "--classes") : defaults.Classes,
            DeepSupervision = parse.GetValue(deepSupervision),
        };
        if (weightsPath is null)
        {
            return given;
        }

        var found = NestedUNetWeights.ReadOptions(weightsPath, given);
        void Agree(Option option, bool same, string theirs)
        {
            if (parse.GetResult(option) is { Implicit: false } && !same)
            {
                throw new UsageException($"{option.Name} contradicts {weightsPath}, whose tensors say {theirs}; leave {option.Name} out to use the weights as they are.");
            }
        }

        Agree(filters, given.Filters.SequenceEqual(found.Filters), $"filters {string.Join(",", found.Filters)}");
        Agree(inChannels, given.InChannels == found.InChannels, found.InChannels == 1 ? "1 input channel" : $"{found.InChannels} input channels");
        Agree(classes, given.Classes == found.Classes, found.Classes == 1 ? "1 class" : $"{found.Classes} classes");
        Agree(deepSupervision, given.DeepSupervision == found.DeepSupervision, found.DeepSupervision ? "four heads" : "one head");
        return found;
    }

    private static int Positive(int value, string option) =>
        value > 0 ? value : throw new UsageException($"{option} must be a positive whole number; got {value}.");
}
