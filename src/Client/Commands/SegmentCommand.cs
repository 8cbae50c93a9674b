using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp segment</c>: one command from a folder of images to masks and a report.</summary>
internal sealed class SegmentCommand : Command
{
    private readonly Argument<string> input = new("input") { Description = "An image file, or a folder of images (sub-folders included)." };
    private readonly Option<string> outFolder = new("--out") { Description = "Folder for masks/, overlays/, probabilities/ and report.json.", Required = true };
    private readonly Option<string?> modelPath = new("--model") { Description = "ONNX model file (default: the built-in model)." };
    private readonly Option<string> mode = new("--mode") { Description = "L4, L3, L2, L1 (pruned, faster) or accurate (mean of the four heads).", DefaultValueFactory = _ => "L4" };
    private readonly Option<int?> tile = new("--tile") { Description = "Tile edge in pixels, a multiple of 16 (default: the model card's hint)." };
    private readonly Option<double> overlap = new("--overlap") { Description = "Fraction of a tile shared with its neighbours.", DefaultValueFactory = _ => 0.25 };
    private readonly Option<int> batch = new("--batch") { Description = "Tiles per model run.", DefaultValueFactory = _ => 4 };
    private readonly Option<string> device = new("--device") { Description = "cpu or cuda:N; CUDA falls back to the CPU when it cannot load.", DefaultValueFactory = _ => "cpu" };
    private readonly Option<int> threads = new("--threads") { Description = "CPU threads per operator (0 = all cores).", DefaultValueFactory = _ => 0 };
    private readonly Option<string?> labels = new("--labels") { Description = "Folder of ground-truth masks with the same names: adds IoU and Dice." };
    private readonly Option<bool> probabilities = new("--probabilities") { Description = "Also write 16-bit probability maps." };
    private readonly Option<bool> overlays = new("--overlays") { Description = "Also write previews with the mask outlined on the image." };
    private readonly Option<long> maxPixels = new("--max-pixels") { Description = "Refuse larger images before decoding them.", DefaultValueFactory = _ => 1_000_000_000 };
    private readonly Option<bool> json = new("--json") { Description = "Print the report as JSON on stdout; human text goes to stderr." };

    public SegmentCommand(Terminal terminal)
        : base("segment", "Segment an image or a folder of images.")
    {
        Arguments.Add(input);
        foreach (var option in new Option[] { outFolder, modelPath, mode, tile, overlap, batch, device, threads, labels, probabilities, overlays, maxPixels, json })
        {
            Options.Add(option);
        }

        SetAction((parse, ct) => RunAsync(parse, terminal, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var asJson = parse.GetValue(json);
        var console = terminal.Human(asJson);
        var inputPath = parse.GetRequiredValue(input);
        var output = Path.GetFullPath(parse.GetRequiredValue(outFolder));
        var labelsRoot = parse.GetValue(labels);
        if (labelsRoot is not null && !Directory.Exists(labelsRoot))
        {
            throw new UsageException($"--labels {labelsRoot}: no such folder.");
        }

        var dataset = LocalDataset.Open(inputPath);
        var options = new SegmentationOptions
        {
            Mode = InferenceModes.Parse(parse.GetRequiredValue(mode)),
            TileSize = parse.GetValue(tile),
            Overlap = parse.GetValue(overlap),
            BatchSize = parse.GetValue(batch),
            Device = new DeviceSessionOptions { Device = InferenceDevice.Parse(parse.GetRequiredValue(device)), IntraOpThreads = parse.GetValue(threads) },
            MaxPixels = parse.GetValue(maxPixels),
            Probabilities = parse.GetValue(probabilities),
            Overlays = parse.GetValue(overlays),
        };
        options.Validate();
        if (options.Device.IntraOpThreads < 0)
        {
            throw new UsageException($"--threads {options.Device.IntraOpThreads}: use 0 (all cores) or a positive count.");
        }

        var model = parse.GetValue(modelPath) is { } path ? ModelFile.Load(path) : DefaultModel.Load();
        using var loggers = Logging.CreateFactory();
        using var engine = SegmentationEngine.Create(model, options, loggers.CreateLogger("unetpp"));
        Directory.CreateDirectory(output);

        console.MarkupLineInterpolated($"Segmenting {dataset.Images.Count} image(s) from {inputPath} with {model.Path}, mode {options.Mode.ToName()}, tile {engine.TileSize}, on {engine.Device}.");
        var imagesInFlight = Math.Max(2, options.BatchSize * 2);
        JobReport report;
        if (terminal.Interactive && !asJson)
        {
            report = await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("segmenting", maxValue: dataset.Images.Count);
                    var live = new DatasetRun(engine, output, labelsRoot, new BarProgress(task));
                    return await live.RunAsync(inputPath, dataset, imagesInFlight, cancellationToken);
                });
        }
        else
        {
            var run = new DatasetRun(engine, output, labelsRoot, new LineProgress(console, dataset.Images.Count));
            report = await run.RunAsync(inputPath, dataset, imagesInFlight, cancellationToken);
        }

        PrintSummary(console, report);
        if (asJson)
        {
            await terminal.Output.WriteLineAsync(report.ToJson());
        }

        return report.Counts.Failed == 0 ? ExitCodes.Success : ExitCodes.ImagesFailed;
    }

    private static void PrintSummary(IAnsiConsole console, JobReport report)
    {
        var t = report.Throughput;
        console.MarkupLineInterpolated(
            $"Done: {report.Counts.Done} of {report.Counts.Total} image(s) in {t.Seconds:F1} s ({t.ImagesPerSecond:F2} images/s, {t.TilesPerSecond:F2} tiles/s, batches {t.MeanBatchFill:P0} full).");
        if (report.Quality is { } quality)
        {
            console.MarkupLineInterpolated(
                $"Against ground truth ({quality.Images} image(s)): mean IoU {quality.MeanIoU:F4}, mean Dice {quality.MeanDice:F4}.");
        }

        foreach (var failure in report.Failures)
        {
            console.MarkupLineInterpolated($"[red]failed[/] {failure.Name}: {failure.Reason}");
        }

        console.MarkupLineInterpolated($"Masks and report.json are in {report.Output}.");
    }

    /// <summary>A live bar for a person at a terminal.</summary>
    private sealed class BarProgress(ProgressTask task) : IRunProgress
    {
        public void ImageFinished(SegmentedImage image) => task.Increment(1);

        public void ImageFailed(string name, string reason) => task.Increment(1);
    }

    /// <summary>One plain line per image for logs and pipes.</summary>
    private sealed class LineProgress(IAnsiConsole console, int total) : IRunProgress
    {
        private int _finished;

        public void ImageFinished(SegmentedImage image)
        {
            var n = Interlocked.Increment(ref _finished);
            var main = image.Summary.Classes.Count > 0 ? image.Summary.Classes[0] : null;
            var found = main is null
                ? "no foreground"
                : string.Create(CultureInfo.InvariantCulture, $"{main.ObjectCount} object(s), {main.ForegroundFraction:P1} foreground");
            console.MarkupLineInterpolated($"[[{n}/{total}]] {image.Name}: {found} ({image.Times.Total.TotalSeconds:F2} s)");
        }

        public void ImageFailed(string name, string reason)
        {
            var n = Interlocked.Increment(ref _finished);
            console.MarkupLineInterpolated($"[[{n}/{total}]] [red]failed[/] {name}: {reason}");
        }
    }
}
