using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using NetVips;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// <c>unetpp-bench instances</c>: segments images with instance ground truth once, then separates the
/// model's mask into objects three ways and scores each: connected components of the mask, a watershed
/// on the mask's shape alone, and a watershed on the shape weighted by the probability. Lists of
/// settings give a row for each combination, to choose them on one data set and report on another.
/// </summary>
internal static class InstancesCommand
{
    private static readonly Option<string?> Model = new("--model") { Description = "ONNX model (default: the built-in model)." };
    private static readonly Option<string> Data = new("--data") { Description = "A folder with images/ and labels/ (instance labels) of the same names.", Required = true };
    private static readonly Option<string> Mode = new("--mode") { Description = "L4, L3, L2, L1 or accurate.", DefaultValueFactory = _ => "L4" };
    private static readonly Option<int> Threads = new("--threads") { Description = "CPU threads per operator (default: all cores)." };
    private static readonly Option<int> MinObjectSize = new("--min-object-size") { Description = "Objects of fewer pixels are left out, by every method.", DefaultValueFactory = _ => 20 };
    private static readonly Option<string> Smoothing = new("--smoothing") { Description = "Blur sigmas of the distance map, comma-separated.", DefaultValueFactory = _ => "0.5" };
    private static readonly Option<string> Depth = new("--depth") { Description = "Minimum peak depths in pixels, comma-separated.", DefaultValueFactory = _ => "0.5" };
    private static readonly Option<string> Power = new("--probability-power") { Description = "Powers of the probability for the third method, comma-separated.", DefaultValueFactory = _ => "1" };

    public static Command Create()
    {
        var command = new Command("instances", "F1, precision, recall, DSB score, merges and splits of three ways to separate touching nuclei.")
        {
            Model, Data, Mode, Threads, MinObjectSize, Smoothing, Depth, Power,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                await MeasureAsync(parse, cancellationToken);
                return 0;
            }
            catch (UsageException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return BenchCommandLine.Usage;
            }
        });
        return command;
    }

    private static async Task MeasureAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var model = parse.GetValue(Model) is { } path ? ModelFile.Load(path) : DefaultModel.Load();
        var options = new SegmentationOptions
        {
            Mode = InferenceModes.Parse(parse.GetRequiredValue(Mode)),
            Probabilities = true,
            Device = new DeviceSessionOptions { IntraOpThreads = parse.GetValue(Threads) },
        };
        var minObjectSize = parse.GetValue(MinObjectSize);
        var methods = new List<(string Method, InstanceSettings Settings)> { ("components", new InstanceSettings(0, double.PositiveInfinity, 0, minObjectSize)) };
        foreach (var smoothing in Numbers(parse, Smoothing))
        {
            foreach (var depth in Numbers(parse, Depth))
            {
                methods.Add(("shape watershed", new InstanceSettings(smoothing, depth, 0, minObjectSize)));
                methods.AddRange(Numbers(parse, Power).Select(power => ("probability watershed", new InstanceSettings(smoothing, depth, power, minObjectSize))));
            }
        }

        var fields = await SegmentAsync(model, options, parse.GetRequiredValue(Data), cancellationToken);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{fields.Count} images, {fields.Sum(f => f.Truth.Max())} nuclei; objects under {minObjectSize} px left out"));
        Console.WriteLine("| method | smoothing | depth | power | F1@0.5 | precision | recall | mean matched IoU | DSB | merges | splits | objects / truth |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (method, settings) in methods)
        {
            var scores = InstanceScores.Combine([.. fields.Select(f =>
                InstanceMatching.Score(Label(f, settings), f.Truth))]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {method} | {settings.Smoothing:0.##} | {settings.MinimumDepth:0.##} | {settings.ProbabilityPower:0.##} | {scores.F1:F3} | {scores.Precision:F3} | {scores.Recall:F3} | {scores.MeanMatchedIoU:F3} | {scores.Dsb:F3} | {scores.Merges} | {scores.Splits} | {scores.PredictedObjects} / {scores.TruthObjects} |"));
        }
    }

    private static async Task<List<Field>> SegmentAsync(LoadedModel model, SegmentationOptions options, string data, CancellationToken cancellationToken)
    {
        using var engine = SegmentationEngine.Create(model, options, NullLogger.Instance);
        var images = Path.Combine(data, "images");
        if (!Directory.Exists(images))
        {
            throw new UsageException($"{Path.GetFullPath(images)} does not exist: --data needs images/ and labels/ (unetpp nuclei --crowded writes both).");
        }

        var fields = new List<Field>();
        foreach (var file in Directory.GetFiles(images).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            var labels = Path.Combine(data, "labels", name);
            if (!File.Exists(labels))
            {
                throw new UsageException($"{Path.GetFullPath(labels)} does not exist: every image needs instance labels of the same name.");
            }

            var result = await engine.SegmentAsync(name, File.ReadAllBytes(file), null, cancellationToken);
            using var probability = Image.NewFromBuffer(result.ProbabilityFile!);
            using var mask = Image.NewFromBuffer(result.MaskFile);
            using var truthFile = Image.NewFromBuffer(File.ReadAllBytes(labels));
            using var truth = truthFile.Cast(Enums.BandFormat.Ushort);
            fields.Add(new Field(
                result.Width,
                result.Height,
                probability.WriteToMemory<ushort>(),
                mask.WriteToMemory<byte>(),
                [.. truth.WriteToMemory<ushort>().Select(id => (int)id)]));
        }

        return fields;
    }

    private static double[] Numbers(ParseResult parse, Option<string> option)
    {
        var list = parse.GetRequiredValue(option);
        return [.. list.Split(',').Select(item => double.TryParse(item, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new UsageException($"{option.Name} takes numbers of 0 or more, comma-separated; got '{list}'."))];
    }

    /// <summary>Labels a field as a job does: row by row through <see cref="InstanceLabeller"/>, each region split on its own.</summary>
    private static int[] Label(Field field, InstanceSettings settings)
    {
        var labels = new LabelRows();
        var labeller = new InstanceLabeller(field.Width, field.Height, 1, 0, settings, labels);
        for (var y = 0; y < field.Height; y++)
        {
            labeller.AddRow(field.Mask.AsSpan(y * field.Width, field.Width), field.Probabilities.AsSpan(y * field.Width, field.Width), []);
        }

        labeller.Finish();
        return [.. labels.Ids];
    }

    private sealed record Field(int Width, int Height, ushort[] Probabilities, byte[] Mask, int[] Truth);

    private sealed class LabelRows : IInstanceSink
    {
        public List<int> Ids { get; } = [];

        public void Add(UNetPP.Cluster.Segmentation.Objects.ImageObject image)
        {
        }

        public void WriteRow(ReadOnlySpan<int> ids) => Ids.AddRange(ids);
    }
}
