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

/// <summary>One model configuration to measure: its filters and the (square) tile size.</summary>
internal sealed record BenchConfig(string Name, IReadOnlyList<int> Filters, int TileSize);

/// <summary>One measured row: tiles per second, and its ratio to the raw session on the same tiles.</summary>
internal sealed record BenchRow(string Name, string Config, string Mode, double TilesPerSecond, double RatioToRaw);

/// <summary>
/// Measures, side by side in one process, what the device can do (ONNX Runtime on pre-made
/// tensors) and what the engine does from image files to mask files on the same tiles, plus each
/// mode's cost against L4. Runs are interleaved and the best of each kind kept, so a noisy
/// neighbour slows both kinds alike instead of skewing the ratio.
/// </summary>
internal sealed class EngineBenchmark(int batchSize, int threads, TimeSpan minimumRun, int repeats, TextWriter log)
{
    public async Task<IReadOnlyList<BenchRow>> MeasureAsync(BenchConfig config, string workFolder)
    {
        var options = new NestedUNetOptions { Filters = config.Filters, DeepSupervision = true };
        var card = ModelCard.ForNestedUNet(options) with { TileSize = config.TileSize };
        var model = NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, seed: 0), card);
        var modelPath = Path.Combine(workFolder, "model.onnx");
        ModelFile.Save(model, modelPath);

        var images = Path.Combine(workFolder, "images");
        var imageCount = batchSize * Math.Max(2, (int)Math.Ceiling(minimumRun.TotalSeconds / 2));
        SamplesCommand.Write(images, imageCount, config.TileSize, config.TileSize, seed: 11);

        var raw = new Dictionary<InferenceMode, double>();
        var engine = 0.0;
        var command = 0.0;
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            foreach (var mode in Enum.GetValues<InferenceMode>())
            {
                var tilesPerSecond = MeasureRaw(model, card, mode, config.TileSize);
                raw[mode] = Math.Max(raw.GetValueOrDefault(mode), tilesPerSecond);
                log.WriteLine($"  {config.Name} raw {mode.ToName(),-8} {tilesPerSecond,8:F2} tiles/s");
            }

            var measured = await MeasureEngineAsync(new LoadedModel(modelPath, model, card), Path.Combine(images, "images"), Path.Combine(workFolder, $"engine-{repeat}"));
            engine = Math.Max(engine, measured);
            log.WriteLine($"  {config.Name} engine L4   {measured,8:F2} tiles/s");
            var segmented = await MeasureSegmentCommandAsync(modelPath, Path.Combine(images, "images"), Path.Combine(workFolder, $"segment-{repeat}"));
            command = Math.Max(command, segmented);
            log.WriteLine($"  {config.Name} segment L4  {segmented,8:F2} tiles/s");
        }

        var l4 = raw[InferenceMode.L4];
        var rows = Enum.GetValues<InferenceMode>()
            .Select(mode => new BenchRow($"raw {mode.ToName()}", config.Name, mode.ToName(), raw[mode], raw[mode] / l4))
            .ToList();
        rows.Add(new BenchRow("engine L4 (files to masks)", config.Name, "L4", engine, engine / l4));
        rows.Add(new BenchRow("unetpp segment L4 (embedded silo)", config.Name, "L4", command, command / l4));
        return rows;
    }

    /// <summary>ONNX Runtime alone: the mode's graph run again and again on one pre-made batch.</summary>
    private double MeasureRaw(ModelProto model, ModelCard card, InferenceMode mode, int tile)
    {
        var graph = ModeGraph.Select(model, card, mode).ToByteArray();
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
        var clock = Stopwatch.StartNew();
        while (runs < 2 || clock.Elapsed < minimumRun)
        {
            session.Run(input, output, batchSize, card.InChannels, card.Classes, tile, tile);
            runs++;
        }

        return runs * batchSize / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The engine in this process, from PNG files to mask files, with several images in flight as the
    /// workers run it; the engine is opened before the clock starts, as a worker's stays open.
    /// </summary>
    private async Task<double> MeasureEngineAsync(LoadedModel model, string images, string output)
    {
        var options = new SegmentationOptions { BatchSize = batchSize, Device = new DeviceSessionOptions { IntraOpThreads = threads } };
        using var engine = SegmentationEngine.Create(model, options, NullLogger.Instance);
        var files = Directory.GetFiles(images, "*.png").Order(StringComparer.Ordinal).ToList();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = batchSize * 2 }, async (file, ct) =>
        {
            var name = Path.GetFileName(file);
            var result = await engine.SegmentAsync(name, await File.ReadAllBytesAsync(file, ct), null, ct);
            AtomicFile.Write(Path.Combine(output, "masks", name), result.MaskPng);
        });
        return engine.Batching.Tiles / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The whole <c>unetpp segment</c> command in this process (embedded silo); the job's own clock, from its start to its end.</summary>
    private async Task<double> MeasureSegmentCommandAsync(string modelPath, string images, string output)
    {
        using var quiet = new StringWriter();
        var exit = await CommandLine.RunAsync(
            ["segment", images, "--out", output, "--model", modelPath, "--batch", $"{batchSize}", "--threads", $"{threads}", "--mode", "L4"],
            new Terminal(quiet, quiet, interactive: false));
        if (exit != 0)
        {
            throw new InvalidOperationException($"unetpp segment failed with exit code {exit}:\n{quiet}");
        }

        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName)));
        return report.Throughput.TilesPerSecond;
    }
}
