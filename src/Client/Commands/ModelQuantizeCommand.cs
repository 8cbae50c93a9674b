using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Model.Quantization;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp model quantize</c>: static int8 quantisation of a float32 model for the CPU, calibrated on tiles
/// of real images; writes a QDQ ONNX file whose card says precision int8 and how it was calibrated.
/// </summary>
internal sealed class ModelQuantizeCommand : Command
{
    private readonly Argument<string> modelPath = new("model")
    {
        Description = "The float32 ONNX model file to quantise (its card inside, or a sidecar m.onnx.card.json).",
    };

    private readonly Option<string> calibration = new("--calibration")
    {
        Description = "A folder of images like those the model will segment (PNG, JPEG, TIFF); tiles cut from them set the activation ranges.",
        Required = true,
    };

    private readonly Option<string> outPath = new("--out")
    {
        Description = "The int8 ONNX file to write, with its card inside (replaced atomically if it exists).",
        Required = true,
    };

    private readonly Option<string> method = new("--method")
    {
        Description = "How each activation's range is chosen from its calibrated values: percentile (the range holding --percentile of them) or entropy (least KL divergence, as TensorRT).",
        HelpName = "percentile|entropy",
        DefaultValueFactory = _ => RangeMethods.Percentile,
    };

    private readonly Option<double> percentile = new("--percentile")
    {
        Description = "For --method percentile: the percentage of each activation's values its range holds, in (50, 100].",
        DefaultValueFactory = _ => QuantizationOptions.DefaultPercentile,
    };

    private readonly Option<int> tiles = new("--tiles")
    {
        Description = "Calibration tiles, at the model's tile size, cut evenly from the images.",
        DefaultValueFactory = _ => QuantizationOptions.DefaultTiles,
    };

    private readonly Option<int> threads = new("--threads")
    {
        Description = "CPU threads for the calibration runs (0 = all cores).",
        DefaultValueFactory = _ => 0,
    };

    public ModelQuantizeCommand(Terminal terminal)
        : base("quantize", "Quantise a float32 model to int8 (static, QDQ) for the CPU, calibrated on a folder of images.")
    {
        Arguments.Add(modelPath);
        Options.Add(calibration);
        Options.Add(outPath);
        Options.Add(method);
        Options.Add(percentile);
        Options.Add(tiles);
        Options.Add(threads);
        SetAction((parse, ct) => Task.FromResult(Run(parse, terminal, ct)));
    }

    private int Run(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var source = parse.GetRequiredValue(modelPath);
        var path = parse.GetRequiredValue(outPath);
        var folder = parse.GetRequiredValue(calibration);
        var methodName = parse.GetRequiredValue(method);
        if (!RangeMethods.TryParse(methodName, out var rangeMethod))
        {
            throw new UsageException($"--method must be {RangeMethods.Percentile} or {RangeMethods.Entropy}; got '{methodName}'.");
        }

        if (parse.GetResult(percentile) is { Implicit: false } && rangeMethod != RangeMethod.Percentile)
        {
            throw new UsageException("--percentile is for --method percentile; entropy chooses each range itself.");
        }

        var options = new QuantizationOptions
        {
            Method = rangeMethod,
            Percentile = parse.GetValue(percentile),
            Tiles = parse.GetValue(tiles),
            Threads = parse.GetValue(threads),
        };
        if (options.Problem() is { } problem)
        {
            throw new UsageException($"{problem}.");
        }

        if (Path.GetFullPath(path) == Path.GetFullPath(source))
        {
            throw new UsageException($"--out {path} is the model being quantised; write the int8 file beside it (e.g. {Path.ChangeExtension(source, ".int8.onnx")}).");
        }

        var model = ModelFile.Load(source);
        ModelQuantizer.CheckQuantizable(model);
        var plan = CalibrationTiles.Plan(folder, model.Card, options.Tiles);
        var output = terminal.Output;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Calibrating on {plan.Count} tile(s) of {model.Card.TileSize} from {plan.Images} image(s) in {Path.GetFullPath(folder)}"));
        var quantized = ModelQuantizer.Quantize(model, plan, options, cancellationToken);

        var target = Path.GetDirectoryName(Path.GetFullPath(path));
        if (target is not null)
        {
            Directory.CreateDirectory(target);
        }

        ModelFile.Save(quantized.Model, path);
        var written = ModelFile.Load(path);
        if (written.Card.Precision != ModelCard.Int8)
        {
            throw new ModelException($"{path}: a card file beside it overrides the int8 card inside; remove or rename that card file.");
        }

        var summary = quantized.Summary;
        var megabytes = new FileInfo(path).Length / (1024.0 * 1024.0);
        output.WriteLine($"Wrote {Path.GetFullPath(path)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Size         {megabytes:F1} MB (float32: {new FileInfo(source).Length / (1024.0 * 1024.0):F1} MB)"));
        output.WriteLine($"  Precision    {quantized.Card.Precision}");
        output.WriteLine($"  Calibration  {quantized.Card.Calibration}");
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  Convolutions {summary.QuantizedConvs} int8, {summary.FloatConvs} float32 (the heads{(summary.FloatConvs > quantized.Card.HeadOutputs.Count ? " and the first" : "")}); {quantized.BatchNormsFolded} batch norm(s) folded"));
        output.WriteLine($"  Modes        {string.Join(", ", quantized.Card.Modes)}");
        return ExitCodes.Success;
    }
}
