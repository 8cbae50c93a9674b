using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Bench;

/// <summary>One mode's accuracy and speed on a labelled set: the two sides of the article's trade-off.</summary>
/// <param name="F1">Objects' F1 at IoU 0.5 over the set, with instance labels; null with masks.</param>
/// <param name="Dsb">The Data Science Bowl 2018 score (mean of the images'), with instance labels; null with masks.</param>
/// <param name="Precision">The model file's precision: fp32, or int8 for the rows of <c>--int8</c>.</param>
internal sealed record QualityRow(string Mode, bool Tta, double MeanIoU, double MeanDice, double SecondsPerImage, double TimeToL4, double? F1 = null, double? Dsb = null, string Precision = ModelCard.Fp32);

/// <summary>
/// <c>unetpp-bench quality</c>: runs a model in every mode it offers, with and without test-time
/// augmentation, over images with ground truth, and reports mean IoU and Dice (the seed's metrics)
/// with the time per image. Configurations run interleaved, best time of the rounds kept, so the
/// time ratios are measured side by side. With instance labels (<c>labels/</c>, as <c>unetpp nuclei
/// --instances</c> or <c>--crowded</c> write them) the images' objects are scored too: F1 and the DSB
/// score, the time per image then including the instance step.
/// </summary>
internal static class QualityCommand
{
    private static readonly Option<string?> Model = new("--model") { Description = "ONNX model (default: the built-in model)." };
    private static readonly Option<string> Data = new("--data") { Description = "A folder with images/ and masks/ (or labels/, instance labels) of the same names.", Required = true };
    private static readonly Option<int> Rounds = new("--rounds") { Description = "Timed rounds; the best of each configuration is kept.", DefaultValueFactory = _ => 2 };
    private static readonly Option<int> Threads = new("--threads") { Description = "CPU threads per operator (default: all cores)." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the rows as JSON." };
    private static readonly Option<string?> Int8 = new("--int8")
    {
        Description = "The int8 file quantised from --model (unetpp model quantize): adds its rows per mode, without test-time augmentation, and a target per mode on the IoU it loses.",
    };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly string[] TargetHeader = ["| target | wanted | measured | met |", "|---|---|---:|---|"];

    public static Command Create()
    {
        var command = new Command("quality", "IoU, Dice and time per image of every mode, with and without test-time augmentation.") { Model, Data, Rounds, Threads, Json, Int8 };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var model = parse.GetValue(Model) is { } path ? ModelFile.Load(path) : DefaultModel.Load();
            var (data, rounds, threads) = (parse.GetRequiredValue(Data), Math.Max(1, parse.GetValue(Rounds)), parse.GetValue(Threads));
            var rows = await MeasureAsync(model, data, rounds, threads, cancellationToken);
            if (parse.GetValue(Int8) is not { } int8Path)
            {
                Console.WriteLine(parse.GetValue(Json) ? JsonSerializer.Serialize(rows, Indented) : Table(rows));
                return 0;
            }

            var int8Model = ModelFile.Load(int8Path);
            var int8Rows = await MeasureAsync(int8Model, data, rounds, threads, cancellationToken, withTta: false);
            var all = rows.Concat(int8Rows.Select(r => r with { Precision = int8Model.Card.Precision })).ToList();
            var targets = Int8Benchmark.QualityTargets(rows, int8Rows).ToList();
            Console.WriteLine(parse.GetValue(Json)
                ? JsonSerializer.Serialize(new { rows = all, targets = targets.Select(t => new { name = t.Name, target = t.Target, measured = t.Measured, met = t.Met }) }, Indented)
                : Table(all) + Environment.NewLine + Environment.NewLine + TargetTable(targets));
            return 0;
        });
        return command;
    }

    public static async Task<IReadOnlyList<QualityRow>> MeasureAsync(LoadedModel model, string data, int rounds, int threads, CancellationToken cancellationToken, bool withTta = true)
    {
        var truthFolder = Directory.Exists(Path.Combine(data, "labels")) ? "labels" : "masks";
        var images = Directory.GetFiles(Path.Combine(data, "images")).Order(StringComparer.Ordinal)
            .Select(file => (Name: Path.GetFileName(file), Bytes: File.ReadAllBytes(file), Truth: new GroundTruth(Path.GetFileName(file), File.ReadAllBytes(Path.Combine(data, truthFolder, Path.GetFileName(file))))))
            .ToList();
        var configurations = model.Card.Modes.Select(InferenceModes.Parse).SelectMany(mode => withTta ? new[] { (mode, false), (mode, true) } : [(mode, false)]).ToList();
        var best = new Dictionary<(InferenceMode, bool), (double Seconds, double IoU, double Dice, InstanceScores? Objects)>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (mode, tta) in configurations)
            {
                var options = new SegmentationOptions { Mode = mode, Tta = tta, Device = new DeviceSessionOptions { IntraOpThreads = threads } };
                using var engine = SegmentationEngine.Create(model, options, NullLogger.Instance);
                var scores = new (double IoU, double Dice, InstanceScores? Objects)[images.Count];
                var clock = Stopwatch.StartNew();
                await Parallel.ForEachAsync(Enumerable.Range(0, images.Count), new ParallelOptions { MaxDegreeOfParallelism = options.BatchSize * 2, CancellationToken = cancellationToken }, async (i, ct) =>
                {
                    var result = await engine.SegmentAsync(images[i].Name, images[i].Bytes, images[i].Truth, ct);
                    var quality = result.Quality![0];
                    scores[i] = (quality.IoU, quality.Dice, result.Objects?.Found.Scores);
                });
                var seconds = clock.Elapsed.TotalSeconds / images.Count;
                var key = (mode, tta);
                var objects = scores.All(s => s.Objects is not null) ? InstanceScores.Combine([.. scores.Select(s => s.Objects!)]) : null;
                best[key] = best.TryGetValue(key, out var earlier) && earlier.Seconds < seconds ? earlier : (seconds, scores.Average(s => s.IoU), scores.Average(s => s.Dice), objects);
                Console.Error.WriteLine(FormattableString.Invariant($"  round {round + 1}: {mode.ToName()}{(tta ? " + TTA" : "")} {seconds * 1000:F1} ms/image, IoU {best[key].IoU:F4}"));
            }
        }

        var l4 = best[(InferenceMode.L4, false)].Seconds;
        return [.. configurations.Select(c => new QualityRow(c.Item1.ToName(), c.Item2, best[c].IoU, best[c].Dice, best[c].Seconds, best[c].Seconds / l4, best[c].Objects?.F1, best[c].Objects?.Dsb))];
    }

    private static string Table(IReadOnlyList<QualityRow> rows)
    {
        var objects = rows.All(r => r.F1 is not null);
        var lines = new List<string>
        {
            "| mode | precision | TTA | mean IoU | mean Dice |" + (objects ? " object F1@0.5 | DSB |" : "") + " ms / image | time ÷ L4 |",
            "|---|---|---|---|---|" + (objects ? "---|---|" : "") + "---|---|",
        };
        lines.AddRange(rows.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"| {r.Mode} | {r.Precision} | {(r.Tta ? "yes" : "no")} | {r.MeanIoU:F4} | {r.MeanDice:F4} |{(objects ? $" {r.F1:F3} | {r.Dsb:F3} |" : "")} {r.SecondsPerImage * 1000:F1} | {r.TimeToL4:F2} |")));
        return string.Join(Environment.NewLine, lines);
    }

    private static string TargetTable(IEnumerable<BenchTarget> targets) => string.Join(
        Environment.NewLine,
        TargetHeader.Concat(
            targets.Select(t => string.Create(CultureInfo.InvariantCulture, $"| {t.Name} | {t.Target} | {t.Measured:F4} | {(t.Met ? "yes" : "no")} |"))));
}
