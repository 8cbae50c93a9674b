using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Client;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// <c>unetpp-bench gpu</c>: what one named device does with the shipped model and the seed's, in float32
/// and float16: ONNX Runtime alone on bound, pinned batches of every size, then the engine from files to
/// masks and the whole <c>unetpp segment</c> on the same device, as one JSON object or a table.
/// </summary>
internal static class GpuCommand
{
    private static readonly Option<string> Device = new("--device") { Description = "cpu or cuda:N: the device every row runs on.", DefaultValueFactory = _ => "cuda:0" };
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object (device and rows) on stdout." };
    private static readonly Option<bool> Quick = new("--quick") { Description = "Small tiles and batches, short runs: a smoke test that a CPU finishes, not for quoting." };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var command = new Command("gpu", "Measure ONNX Runtime, the engine and unetpp segment on one device, float32 and float16, batch sizes 1 to 32.") { Device, Json, Quick };
        command.SetAction((parse, ct) => RunAsync(parse.GetRequiredValue(Device), parse.GetValue(Json), parse.GetValue(Quick), ct));
        return command;
    }

    private static async Task<int> RunAsync(string deviceText, bool json, bool quick, CancellationToken cancellationToken)
    {
        InferenceDevice device;
        try
        {
            device = DeviceChoice.Parse(deviceText).Device ?? throw new FormatException("auto is settled by a probe; name the device to measure, cpu or cuda:N.");
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"--device {ex.Message}");
            return 2;
        }

        var plan = quick ? DevicePlan.Quick : DevicePlan.Full;
        var work = Directory.CreateTempSubdirectory("unetpp-bench-gpu-");
        try
        {
            var rows = await new DeviceBenchmark(device, plan, work.FullName, Console.Error).MeasureAsync(cancellationToken);
            var name = DeviceName(device);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        device = device.ToString(),
                        device_name = name,
                        machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}",
                        onnx_runtime = OrtEnv.Instance().GetVersionString(),
                        quick,
                        rows = rows.Select(r => new
                        {
                            name = r.Name,
                            model = r.Model,
                            precision = r.Precision,
                            tile = r.Tile,
                            batch = r.Batch,
                            tiles_per_second = r.TilesPerSecond,
                            ratio_to_raw = r.RatioToRaw,
                            ratio_to_fp32 = r.RatioToFp32,
                            gmacs_per_second = r.GMacsPerSecond,
                            batch_fill = r.BatchFill,
                            error = r.Error,
                        }),
                    },
                    Indented));
            }
            else
            {
                Console.WriteLine($"{device} ({name})");
                Console.WriteLine("| measured | model | precision | tile | batch | tiles/s | ratio to raw | ratio to fp32 | GMAC/s | error |");
                Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---|");
                foreach (var r in rows)
                {
                    Console.WriteLine($"| {r.Name} | {r.Model} | {r.Precision} | {r.Tile} | {r.Batch} | {r.TilesPerSecond:F1} | {r.RatioToRaw:F2} | {r.RatioToFp32:F2} | {r.GMacsPerSecond:F0} | {r.Error} |");
                }
            }

            return rows.All(r => r.Error is null) ? 0 : 1;
        }
        catch (DeviceUnavailableException ex)
        {
            await Console.Error.WriteLineAsync($"--device {ex.Message}");
            return 2;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The GPU's product name as its driver reports it (one folder per GPU, in bus order, which is CUDA's
    /// order on a machine with one GPU), or the processor's for the CPU; "unknown" where neither is readable.
    /// </summary>
    private static string DeviceName(InferenceDevice device)
    {
        static string? Field(string file, string key) =>
            File.Exists(file)
                ? File.ReadLines(file).Where(l => l.StartsWith(key, StringComparison.Ordinal)).Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()).FirstOrDefault()
                : null;

        const string gpus = "/proc/driver/nvidia/gpus";
        if (!device.IsCuda)
        {
            return Field("/proc/cpuinfo", "model name") ?? "unknown";
        }

        var folders = Directory.Exists(gpus) ? Directory.GetDirectories(gpus).Order(StringComparer.Ordinal).ToList() : [];
        return device.Index < folders.Count ? Field(Path.Combine(folders[device.Index], "information"), "Model") ?? "unknown" : "unknown";
    }
}

/// <summary>Which tile sizes and batch sizes are measured, for how long, and how many images the engine and segment rows read.</summary>
internal sealed record DevicePlan(IReadOnlyList<int> Tiles, IReadOnlyList<int> Batches, int EngineBatch, int EnginePixels, TimeSpan MinimumRun)
{
    /// <summary>Batches up to 32 on 256² and 512² tiles; the engine reads 128 Mpx (2048 tiles of 256², 512 of 512²) at batch 32.</summary>
    public static DevicePlan Full { get; } = new([256, 512], [1, 2, 4, 8, 16, 32], 32, 2048 * 256 * 256, TimeSpan.FromSeconds(0.5));

    /// <summary>What a CPU finishes in a minute or two: the same rows on 64² tiles, batches 1 and 2.</summary>
    public static DevicePlan Quick { get; } = new([64], [1, 2], 2, 8 * 64 * 64, TimeSpan.FromSeconds(0.2));
}

/// <summary>One measured row; <see cref="Error"/> says why a row has no rate (a batch too large for the device, say).</summary>
internal sealed record DeviceRow(
    string Name, string Model, string Precision, int Tile, int Batch, double? TilesPerSecond, double? RatioToRaw, double? RatioToFp32, double? GMacsPerSecond, double? BatchFill = null, string? Error = null)
{
    public const string Raw = "raw L4 (bound pinned batch)";
    public const string Engine = "engine L4 (files to masks)";
    public const string Segment = "unetpp segment L4 (embedded silo)";
}

/// <summary>
/// The rows of <c>unetpp-bench gpu</c> for one device. Each model, precision and tile size gets one
/// session and one pinned batch, run at every batch size as the engine's own batches are; the engine and
/// <c>unetpp segment</c> then read PNG files of one tile each and write masks, on the same device.
/// </summary>
internal sealed class DeviceBenchmark(InferenceDevice device, DevicePlan plan, string workFolder, TextWriter log)
{
    private static readonly int[] SeedFilters = [32, 64, 128, 256, 512];

    public async Task<IReadOnlyList<DeviceRow>> MeasureAsync(CancellationToken cancellationToken)
    {
        var rows = new List<DeviceRow>();
        var shipped = DefaultModel.Load();
        var shippedOptions = new NestedUNetOptions
        {
            Filters = shipped.Card.Filters,
            InChannels = shipped.Card.InChannels,
            Classes = shipped.Card.Classes,
            DeepSupervision = shipped.Card.DeepSupervision,
        };
        var seedOptions = new NestedUNetOptions { Filters = SeedFilters, DeepSupervision = true };
        (string Name, NestedUNetOptions Options, NestedUNetWeights Weights)[] models =
        [
            ($"shipped {Filters(shippedOptions)}", shippedOptions, ShippedWeights(shipped.Model, shippedOptions)),
            ($"seed {Filters(seedOptions)}", seedOptions, NestedUNetWeights.CreateInitial(seedOptions, seed: 0)),
        ];

        foreach (var tile in plan.Tiles)
        {
            var images = Path.Combine(workFolder, $"images-{tile}");
            WriteImages(images, Math.Max(plan.EngineBatch * 2, plan.EnginePixels / (tile * tile)), tile);
            foreach (var (name, options, weights) in models)
            {
                foreach (var precision in (string[])[ModelCard.Fp32, ModelCard.Fp16])
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var card = ModelCard.ForNestedUNet(options) with { TileSize = tile, Precision = precision };
                    var model = NestedUNetBuilder.Build(options, weights, card);
                    var modelPath = Path.Combine(workFolder, $"{name.Replace(' ', '-')}-{precision}-{tile}.onnx");
                    ModelFile.Save(model, modelPath);
                    var gmacPerTile = ModelFigures.Measure(model, card, InferenceMode.L4, tile, tile).MultiplyAccumulates / 1e9;

                    var raw = MeasureRaw(model, card, tile, cancellationToken);
                    var output = Path.Combine(workFolder, "masks");
                    var engine = await Attempt(() => MeasureEngineAsync(ModelFile.Load(modelPath), Path.Combine(images, "images"), Path.Combine(output, "engine"), cancellationToken));
                    var segment = await Attempt(async () => (await MeasureSegmentCommandAsync(modelPath, Path.Combine(images, "images"), Path.Combine(output, "segment"), tile, cancellationToken), (double?)null));

                    DeviceRow Row(string row, int batch, double? rate, double? fill, string? error)
                    {
                        var fp32 = precision == ModelCard.Fp16 ? rows.SingleOrDefault(r => r.Name == row && r.Model == name && r.Tile == tile && r.Batch == batch && r.Precision == ModelCard.Fp32)?.TilesPerSecond : null;
                        var rawRate = raw.GetValueOrDefault(batch).Rate;
                        var result = new DeviceRow(row, name, precision, tile, batch, rate, rate / rawRate, rate / fp32, rate * gmacPerTile, fill, error);
                        log.WriteLine($"  {name} {precision} @{tile} batch {batch,2} {row,-34} {(error ?? $"{rate,9:F1} tiles/s")}");
                        return result;
                    }

                    foreach (var (batch, (rate, error)) in raw)
                    {
                        rows.Add(Row(DeviceRow.Raw, batch, rate, null, error));
                    }

                    rows.Add(Row(DeviceRow.Engine, plan.EngineBatch, engine.Value.Rate, engine.Value.Fill, engine.Error));
                    rows.Add(Row(DeviceRow.Segment, plan.EngineBatch, segment.Value.Rate, null, segment.Error));
                    File.Delete(modelPath);
                    if (Directory.Exists(output))
                    {
                        Directory.Delete(output, recursive: true);
                    }
                }
            }
        }

        return rows;
    }

    /// <summary>
    /// <paramref name="count"/> PNG files of one tile each: 128 generated, the rest copies of them, since the
    /// generator runs on one core and would take a minute of a lent machine's time for what costs nothing to copy.
    /// </summary>
    private static void WriteImages(string folder, int count, int tile)
    {
        var distinct = SamplesCommand.Write(folder, Math.Min(count, 128), tile, tile, seed: 11);
        for (var i = distinct.Count; i < count; i++)
        {
            var source = distinct[i % distinct.Count];
            File.Copy(source, Path.Combine(folder, "images", $"copy-{i:D5}-{Path.GetFileName(source)}"));
        }
    }

    private static string Filters(NestedUNetOptions options) => $"{options.Filters[0]}-{options.Filters[^1]}";

    /// <summary>The shipped file's own weights, so that its float16 build is the same model rounded, not another one.</summary>
    private static NestedUNetWeights ShippedWeights(ModelProto model, NestedUNetOptions options)
    {
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return NestedUNetWeights.Create(options, (name, _) => initializers.TryGetValue(name, out var tensor)
            ? FloatBytes.FromLittleEndian(tensor.RawData.Span)
            : throw new ModelException($"{DefaultModel.Location}: the built-in model has no tensor {name}; it was not built by unetpp model build."));
    }

    /// <summary>
    /// ONNX Runtime alone, the way the engine's batcher calls it: one session, one pinned batch bound to
    /// it, each batch size run until <see cref="DevicePlan.MinimumRun"/> has passed. A size that fails
    /// (out of device memory, say) is kept as that size's error, and the larger ones are still tried.
    /// </summary>
    private SortedDictionary<int, (double? Rate, string? Error)> MeasureRaw(ModelProto model, ModelCard card, int tile, CancellationToken cancellationToken)
    {
        var results = new SortedDictionary<int, (double? Rate, string? Error)>();
        // The graph the engine runs on full tiles of this size.
        var selected = ModeGraph.Select(model, card, InferenceMode.L4);
        var graph = (WholeTileGraph.For(selected, card, tile, tile) ?? selected).ToByteArray();
        DeviceSession session;
        try
        {
            session = DeviceSession.Open(graph, new DeviceSessionOptions { Device = device }, NullLogger.Instance);
        }
        catch (OnnxRuntimeException ex)
        {
            // A device without kernels for the graph's types (float16 on a CPU, say): every size says why.
            var error = ex.Message.Split('\n')[0];
            return new(plan.Batches.ToDictionary(size => size, _ => ((double?)null, (string?)error)));
        }

        using var owned = session;
        using var batch = session.CreateBatch(new TileShape(card.InChannels, card.Classes, tile), plan.Batches.Max());
        var random = new Random(5);
        var input = batch.Input;
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)((random.NextDouble() * 4) - 2);
        }

        foreach (var size in plan.Batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // The first run of a size binds it and, on CUDA, searches cuDNN's algorithms for its shapes.
                batch.Run(size);
                var runs = 0;
                var clock = Stopwatch.StartNew();
                while (runs < 3 || clock.Elapsed < plan.MinimumRun)
                {
                    batch.Run(size);
                    runs++;
                }

                results[size] = (runs * size / clock.Elapsed.TotalSeconds, null);
            }
            catch (OnnxRuntimeException ex)
            {
                results[size] = (null, ex.Message.Split('\n')[0]);
            }
        }

        return results;
    }

    /// <summary>The engine in this process, from PNG files to mask files, images in flight as workers keep them; opened before the clock starts.</summary>
    private async Task<(double? Rate, double? Fill)> MeasureEngineAsync(LoadedModel model, string images, string output, CancellationToken cancellationToken)
    {
        var options = new SegmentationOptions { BatchSize = plan.EngineBatch, TileSize = model.Card.TileSize, Device = new DeviceSessionOptions { Device = device } };
        using var engine = SegmentationEngine.Create(model, options, NullLogger.Instance);
        var files = Directory.GetFiles(images, "*.png").Order(StringComparer.Ordinal).ToList();

        // One batch first, outside the clock: on CUDA it pays the algorithm search for the batch's shape.
        await SegmentAsync(engine, files.Take(plan.EngineBatch), output, cancellationToken);
        var before = engine.Batching.Tiles;
        var clock = Stopwatch.StartNew();
        await SegmentAsync(engine, files, output, cancellationToken);
        return ((engine.Batching.Tiles - before) / clock.Elapsed.TotalSeconds, engine.Batching.MeanBatchFill);
    }

    private Task SegmentAsync(SegmentationEngine engine, IEnumerable<string> files, string output, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = plan.EngineBatch * 2, CancellationToken = cancellationToken }, async (file, ct) =>
        {
            var name = Path.GetFileName(file);
            var result = await engine.SegmentAsync(name, await File.ReadAllBytesAsync(file, ct), null, ct);
            AtomicFile.Write(Path.Combine(output, "masks", name), result.MaskFile);
        });

    /// <summary>The whole <c>unetpp segment</c> command in this process with its silo on this device (Inference:Devices); the job's own clock.</summary>
    private async Task<double?> MeasureSegmentCommandAsync(string modelPath, string images, string output, int tile, CancellationToken cancellationToken)
    {
        using var quiet = new StringWriter();
        string[] arguments =
        [
            "segment", images, "--out", output, "--model", modelPath, "--batch", $"{plan.EngineBatch}", "--tile", $"{tile}", "--mode", "L4", "--device", device.ToString(),
        ];
        var exit = await CommandLine.RunAsync(arguments, new Terminal(quiet, quiet, interactive: false), cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (exit != 0)
        {
            throw new InvalidOperationException($"unetpp segment failed with exit code {exit}: {quiet.ToString().Trim()}");
        }

        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName), cancellationToken));
        return report.Throughput.TilesPerSecond;
    }

    /// <summary>A row that failed keeps its error in the JSON, so one bad row does not cost the whole run on a lent machine.</summary>
    private static async Task<((double? Rate, double? Fill) Value, string? Error)> Attempt(Func<Task<(double? Rate, double? Fill)>> measure)
    {
        try
        {
            return (await measure(), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ((null, null), ex.Message.Split('\n')[0]);
        }
    }
}
