using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Client;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Bench;

/// <summary>One model configuration to measure: its filters, the (square) tile size, and whether the job also runs on silo processes.</summary>
internal sealed record BenchConfig(string Name, IReadOnlyList<int> Filters, int TileSize, bool OnSilos = false);

/// <summary>What to measure of a configuration.</summary>
internal enum BenchScope
{
    /// <summary>Every row.</summary>
    All,

    /// <summary>The rows on silo processes, and the raw L4 and engine rows they are compared with.</summary>
    Silos,
}

/// <summary>
/// One measured row: tiles per second, its ratio to the raw session on the same tiles, the model's
/// multiply-accumulates per second at that rate, and for the engine the mean fill of its batches.
/// </summary>
/// <param name="OutsideInference">CPU spent per tile beyond raw ONNX Runtime's, as a share of raw's (<see cref="MeasuredRun.OutsideInference"/>).</param>
internal sealed record BenchRow(string Name, string Config, string Mode, double TilesPerSecond, double RatioToRaw, double? GMacsPerSecond, double? BatchFill = null, double? OutsideInference = null)
{
    public const string Engine = "engine L4 (files to masks)";
    public const string TorchEager = "PyTorch eager L4 (TorchSharp, same weights)";
    public const string Segment = "unetpp segment L4 (embedded silo)";
    public const string OneSilo = "one silo process L4 (Azurite blobs)";
    public const string OneSiloOneThread = "one silo process, 1 thread";
    public const string TwoSilosOneThread = "two silo processes, 1 thread each";

    public static string Raw(InferenceMode mode) => $"raw {mode.ToName()}";
}

/// <summary>
/// Measures, side by side, what the device can do (ONNX Runtime on pre-made tensors) and what the
/// engine does from image files to mask files on the same tiles, plus each mode's cost against L4,
/// the embedded silo, and (for configurations on silos) the same images on silo processes. Runs are
/// interleaved and the best of each kind kept, so a noisy neighbour slows both kinds alike instead
/// of skewing the ratio.
/// </summary>
internal sealed class EngineBenchmark(int batchSize, int threads, TimeSpan minimumRun, int repeats, int siloImages, SiloBenchmark siloBenchmark, TextWriter log)
{
    /// <summary>Enough for any configuration's run here: 96² tiles of the small model at about 130 a second for 5 s.</summary>
    private const int MostImages = 1200;

    public async Task<IReadOnlyList<BenchRow>> MeasureAsync(BenchConfig config, BenchScope scope, string workFolder, CancellationToken cancellationToken)
    {
        var options = new NestedUNetOptions { Filters = config.Filters, DeepSupervision = true };
        var card = ModelCard.ForNestedUNet(options) with { TileSize = config.TileSize };
        var weights = NestedUNetWeights.CreateInitial(options, seed: 0);
        var model = NestedUNetBuilder.Build(options, weights, card);
        var modelPath = Path.Combine(workFolder, "model.onnx");
        ModelFile.Save(model, modelPath);

        var images = Path.Combine(workFolder, "images");
        SamplesCommand.Write(images, ImageCount(model, card, config.TileSize), config.TileSize, config.TileSize, seed: 11);
        var imageFiles = Path.Combine(images, "images");
        SiloDataset? uploaded = null;
        if (config.OnSilos)
        {
            // A job long enough that the silos' fixed costs (joining, opening the model, the first lease) are a small part of it.
            var siloFolder = Path.Combine(workFolder, "silo-images");
            SamplesCommand.Write(siloFolder, siloImages, config.TileSize, config.TileSize, seed: 12);
            uploaded = await siloBenchmark.UploadAsync(config.Name, Path.Combine(siloFolder, "images"), cancellationToken);
        }

        var modes = scope == BenchScope.All ? Enum.GetValues<InferenceMode>() : [InferenceMode.L4];
        // The best rate of each kind, and its least CPU per tile: both are what the machine allows when least disturbed.
        var best = new OrderedDictionary<string, (string Mode, MeasuredRun Run)>();
        void Keep(string name, string mode, MeasuredRun run)
        {
            var kept = best.TryGetValue(name, out var before) ? before.Run : run;
            best[name] = (mode, new MeasuredRun(
                Math.Max(kept.TilesPerSecond, run.TilesPerSecond),
                kept.CpuSecondsPerTile is { } least && run.CpuSecondsPerTile is { } now ? Math.Min(least, now) : run.CpuSecondsPerTile));
            var cpu = run.CpuSecondsPerTile is { } perTile ? $", {perTile * 1e3,8:F1} ms CPU a tile" : "";
            log.WriteLine($"  {config.Name} {name,-36} {run.TilesPerSecond,8:F2} tiles/s{cpu}");
        }

        double? fill = null;
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            foreach (var mode in modes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Keep(BenchRow.Raw(mode), mode.ToName(), MeasureRawRun(model, card, mode, config.TileSize));
            }

            var (engineRun, engineFill) = await MeasureEngineAsync(new LoadedModel(modelPath, model, card), imageFiles, Path.Combine(workFolder, $"engine-{repeat}"), cancellationToken);
            Keep(BenchRow.Engine, "L4", engineRun);
            fill = Math.Max(fill ?? 0, engineFill);
            if (scope == BenchScope.All)
            {
                Keep(BenchRow.TorchEager, "L4", new MeasuredRun(TorchEager.Measure(weights, card.InChannels, config.TileSize, batchSize, threads, minimumRun)));
                Keep(BenchRow.Segment, "L4", await MeasureSegmentCommandAsync(modelPath, imageFiles, Path.Combine(workFolder, $"segment-{repeat}"), cancellationToken));
            }

            if (uploaded is not null)
            {
                Keep(BenchRow.OneSilo, "L4", await siloBenchmark.MeasureAsync(uploaded, modelPath, silos: 1, threads, $"one-{repeat}", cancellationToken));
                // Scale-out: one inference thread a silo, so that a second silo brings a core of its own, as a second machine would.
                Keep(BenchRow.OneSiloOneThread, "L4", await siloBenchmark.MeasureAsync(uploaded, modelPath, silos: 1, threads: 1, $"one-thread-{repeat}", cancellationToken));
                Keep(BenchRow.TwoSilosOneThread, "L4", await siloBenchmark.MeasureAsync(uploaded, modelPath, silos: 2, threads: 1, $"two-threads-{repeat}", cancellationToken));
            }
        }

        var l4 = best[BenchRow.Raw(InferenceMode.L4)].Run;
        var macs = modes.ToDictionary(m => m.ToName(), m => ModelFigures.Measure(model, card, m, config.TileSize, config.TileSize).MultiplyAccumulates);
        return [.. best.Select(b => new BenchRow(
            b.Key, config.Name, b.Value.Mode, b.Value.Run.TilesPerSecond, b.Value.Run.TilesPerSecond / l4.TilesPerSecond,
            macs.GetValueOrDefault(b.Value.Mode) is { } perTile ? b.Value.Run.TilesPerSecond * perTile / 1e9 : null,
            b.Key == BenchRow.Engine ? fill : null,
            b.Key == BenchRow.Raw(InferenceMode.L4) ? null : b.Value.Run.OutsideInference(l4)))];
    }

    /// <summary>
    /// As many single-tile images as raw L4 gets through in the minimum run, so that the engine and
    /// <c>unetpp segment</c> run as long as raw does and a job's fixed costs weigh as they would on a
    /// real folder, not on a dozen images; at least three batches, at most <see cref="MostImages"/>.
    /// </summary>
    private int ImageCount(ModelProto model, ModelCard card, int tile)
    {
        var perRun = MeasureRawRun(model, card, InferenceMode.L4, tile).TilesPerSecond * minimumRun.TotalSeconds;
        return Math.Clamp((int)Math.Ceiling(perRun / batchSize) * batchSize, 3 * batchSize, MostImages);
    }

    /// <summary>ONNX Runtime alone: the mode's graph run again and again on one pre-made batch.</summary>
    public double MeasureRaw(ModelProto model, ModelCard card, InferenceMode mode, int tile) => MeasureRawRun(model, card, mode, tile).TilesPerSecond;

    /// <summary>As <see cref="MeasureRaw"/>, with the CPU time per tile: what the model itself costs the machine.</summary>
    public MeasuredRun MeasureRawRun(ModelProto model, ModelCard card, InferenceMode mode, int tile)
    {
        // The graph the engine runs on full tiles of this size.
        var selected = ModeGraph.Select(model, card, mode);
        var graph = (WholeTileGraph.For(selected, card, tile, tile) ?? selected).ToByteArray();
        using var session = DeviceSession.Open(graph, new DeviceSessionOptions { IntraOpThreads = threads }, NullLogger.Instance);
        var input = new float[batchSize * card.InChannels * tile * tile];
        var random = new Random(5);
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)((random.NextDouble() * 4) - 2);
        }

        var output = new float[batchSize * card.Classes * tile * tile];
        session.Run(input, output, batchSize, card.InChannels, card.Classes, tile, tile);
        var runs = 0;
        var cpu = MeasuredRun.ProcessorTime();
        var clock = Stopwatch.StartNew();
        while (runs < 2 || clock.Elapsed < minimumRun)
        {
            session.Run(input, output, batchSize, card.InChannels, card.Classes, tile, tile);
            runs++;
        }

        var tiles = runs * batchSize;
        return new(tiles / clock.Elapsed.TotalSeconds, (MeasuredRun.ProcessorTime() - cpu).TotalSeconds / tiles);
    }

    /// <summary>
    /// The engine in this process, from PNG files to mask files, with several images in flight as the
    /// workers run it; the engine is opened before the clock starts, as a worker's stays open. Also
    /// returns how full its batches were on average, against the batch size.
    /// </summary>
    private async Task<(MeasuredRun Run, double BatchFill)> MeasureEngineAsync(LoadedModel model, string images, string output, CancellationToken cancellationToken)
    {
        var options = new SegmentationOptions { BatchSize = batchSize, Device = new DeviceSessionOptions { IntraOpThreads = threads } };
        using var engine = SegmentationEngine.Create(model, options, NullLogger.Instance);
        var files = Directory.GetFiles(images, "*.png").Order(StringComparer.Ordinal).ToList();
        var cpu = MeasuredRun.ProcessorTime();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = batchSize * 2, CancellationToken = cancellationToken }, async (file, ct) =>
        {
            var name = Path.GetFileName(file);
            var result = await engine.SegmentAsync(name, await File.ReadAllBytesAsync(file, ct), null, ct);
            AtomicFile.Write(Path.Combine(output, "masks", name), result.MaskFile);
        });
        var batching = engine.Batching;
        return (new(batching.Tiles / clock.Elapsed.TotalSeconds, (MeasuredRun.ProcessorTime() - cpu).TotalSeconds / batching.Tiles), batching.MeanBatchFill);
    }

    /// <summary>
    /// The whole <c>unetpp segment</c> command in this process (embedded silo); the job's own clock, from its
    /// start to its end, and the CPU of the whole command, the silo's start and stop included.
    /// </summary>
    private async Task<MeasuredRun> MeasureSegmentCommandAsync(string modelPath, string images, string output, CancellationToken cancellationToken)
    {
        using var quiet = new StringWriter();
        var cpu = MeasuredRun.ProcessorTime();
        var exit = await CommandLine.RunAsync(
            ["segment", images, "--out", output, "--model", modelPath, "--batch", $"{batchSize}", "--threads", $"{threads}", "--mode", "L4"],
            new Terminal(quiet, quiet, interactive: false),
            cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (exit != 0)
        {
            throw new InvalidOperationException($"unetpp segment failed with exit code {exit}:\n{quiet}");
        }

        var spent = MeasuredRun.ProcessorTime() - cpu;
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName), cancellationToken));
        return new(report.Throughput.TilesPerSecond, spent.TotalSeconds / report.Throughput.Tiles);
    }
}
