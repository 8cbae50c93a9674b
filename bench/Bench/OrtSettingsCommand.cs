using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// <c>unetpp-bench ort-settings</c>: how ONNX Runtime's CPU settings move the model's raw L4 rate. Every
/// setting is one change from the session the product builds (DeviceSession), run on pre-made tiles at
/// each tile size, interleaved round by round with the peak convolution and the best of each kept, so
/// they are compared side by side on a shared machine. Also prints the graph ONNX Runtime actually runs
/// and the rate of lone 3×3 convolutions at the model's own widths, which bound what the model can reach.
/// </summary>
internal static class OrtSettingsCommand
{
    private static readonly Option<string?> Model = new("--model") { Description = "ONNX model (default: the built-in model)." };
    private static readonly Option<int> Rounds = new("--rounds") { Description = "Interleaved rounds; the best of each setting is kept.", DefaultValueFactory = _ => 3 };
    private static readonly Option<double> Seconds = new("--seconds") { Description = "Least time each setting runs in a round.", DefaultValueFactory = _ => 1.0 };
    private static readonly Option<int[]> Tiles = new("--tiles") { Description = "Square tile sizes.", DefaultValueFactory = _ => [96, 256, 512], AllowMultipleArgumentsPerToken = true };
    private static readonly Option<string[]> Only = new("--only") { Description = "Only the settings whose name contains one of these texts (the baseline always runs).", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<string?> GraphFolder = new("--graphs") { Description = "Also write the optimised graphs here and print their operators." };

    public static Command Create()
    {
        var command = new Command("ort-settings", "Raw L4 tiles/s and share of peak per ONNX Runtime CPU setting, interleaved.") { Model, Rounds, Seconds, Tiles, Only, GraphFolder };
        command.SetAction(parse =>
        {
            var loaded = parse.GetValue(Model) is { } path ? ModelFile.Load(path) : DefaultModel.Load();
            var graph = ModeGraph.Select(loaded.Model, loaded.Card, InferenceMode.L4);
            var minimumRun = TimeSpan.FromSeconds(parse.GetValue(Seconds));
            var only = parse.GetValue(Only) ?? [];
            var tiles = parse.GetRequiredValue(Tiles);
            Console.WriteLine($"Model filters {string.Join("–", loaded.Card.Filters)}, L4, ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {Environment.ProcessorCount} cores.");

            if (parse.GetValue(GraphFolder) is { } folder)
            {
                Directory.CreateDirectory(folder);
                OptimisedGraph.Print(graph, tiles, folder, Console.Out);
            }

            var settings = tiles.Select(tile => (Tile: tile, Settings: OrtSetting.For(tile).Where(s => s == OrtSetting.Baseline || only.Length == 0 || only.Any(o => s.Name.Contains(o, StringComparison.Ordinal))).ToList())).ToList();
            var best = new Dictionary<(int Tile, string Setting), double>();
            var peak = 0.0;
            // A fresh order each round, and the peak again before each tile size, so that no setting always
            // runs just after a busy spell of the machine's other work.
            var order = new Random(7);
            for (var round = 0; round < Math.Max(1, parse.GetValue(Rounds)); round++)
            {
                foreach (var (tile, list) in settings)
                {
                    peak = Math.Max(peak, PeakConvolution.Measure(0, minimumRun));
                    foreach (var setting in list.OrderBy(_ => order.Next()))
                    {
                        var rate = setting.Measure(graph, loaded.Card, tile, minimumRun);
                        best[(tile, setting.Name)] = Math.Max(best.GetValueOrDefault((tile, setting.Name)), rate);
                        Console.Error.WriteLine(FormattableString.Invariant($"  round {round + 1}: {tile}² {setting.Name,-40} {rate,8:F2} tiles/s"));
                    }
                }
            }

            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"Peak: {peak:F1} GMAC/s (one 3×3 convolution 256→256 at 64², batch 4, all cores). Best of {parse.GetValue(Rounds)} interleaved rounds."));
            Console.WriteLine("| tile | setting | batch | tiles/s | ÷ baseline | GMAC/s | share of peak |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var (tile, list) in settings)
            {
                var macs = ModelFigures.Measure(loaded.Model, loaded.Card, InferenceMode.L4, tile, tile).MultiplyAccumulates ?? 0;
                var baseline = best[(tile, OrtSetting.Baseline.Name)];
                foreach (var setting in list)
                {
                    var rate = best[(tile, setting.Name)];
                    var gmacs = rate * macs / 1e9;
                    Console.WriteLine(string.Create(c, $"| {tile} | {setting.Name} | {setting.Batch} | {rate:F2} | {rate / baseline:F3} | {gmacs:F1} | {gmacs / peak:P0} |"));
                }
            }

            ConvolutionWidths.Print(graph, loaded.Card, tiles, peak, minimumRun, Console.Out);
            return 0;
        });
        return command;
    }
}

/// <summary>How the tile's graph is given to ONNX Runtime.</summary>
internal enum GraphShape
{
    /// <summary>As shipped: batch, height and width symbolic, the Pad after each Resize sized at run time.</summary>
    Symbolic,

    /// <summary>Batch, height and width written into the graph's input and output.</summary>
    Fixed,

    /// <summary>Fixed, and without the Pads, which add nothing where the tile divides by 16.</summary>
    FixedWithoutPad,
}

/// <summary>One session configuration: a change from the product's CPU session, and the batch it runs.</summary>
internal sealed record OrtSetting(string Name, int Batch, Action<SessionOptions> Configure, GraphShape Shape = GraphShape.Symbolic)
{
    private const int ProductBatch = 4;

    public static readonly OrtSetting Baseline = new("baseline (product session)", ProductBatch, _ => { });

    public static IEnumerable<OrtSetting> For(int tile)
    {
        yield return Baseline;
        yield return new("intra-op threads 1", ProductBatch, o => o.IntraOpNumThreads = 1);
        yield return new("intra-op threads 2", ProductBatch, o => o.IntraOpNumThreads = 2);
        yield return new("parallel, inter-op threads 0", ProductBatch, o => (o.ExecutionMode, o.InterOpNumThreads) = (ExecutionMode.ORT_PARALLEL, 0));
        yield return new("parallel, inter-op 2, intra-op 1", ProductBatch, o => (o.ExecutionMode, o.InterOpNumThreads, o.IntraOpNumThreads) = (ExecutionMode.ORT_PARALLEL, 2, 1));
        yield return new("inter-op threads 2 (sequential)", ProductBatch, o => o.InterOpNumThreads = 2);
        yield return new("optimisation EXTENDED (no NCHWc)", ProductBatch, o => o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED);
        yield return new("optimisation BASIC", ProductBatch, o => o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC);
        yield return new("memory pattern off", ProductBatch, o => o.EnableMemoryPattern = false);
        yield return new("CPU arena off", ProductBatch, o => o.EnableCpuMemArena = false);
        yield return new("intra-op spinning on", ProductBatch, o => o.AddSessionConfigEntry("session.intra_op.allow_spinning", "1"));
        yield return new("inter-op spinning off", ProductBatch, o => o.AddSessionConfigEntry("session.inter_op.allow_spinning", "0"));
        yield return new("denormals as zero", ProductBatch, o => o.AddSessionConfigEntry("session.set_denormal_as_zero", "1"));
        yield return new("free dimension overrides N, H, W", ProductBatch, o =>
        {
            o.AddFreeDimensionOverrideByName("N", ProductBatch);
            o.AddFreeDimensionOverrideByName("H", tile);
            o.AddFreeDimensionOverrideByName("W", tile);
        });
        yield return new("fixed-shape graph", ProductBatch, _ => { }, GraphShape.Fixed);
        yield return new("fixed-shape graph without Pad", ProductBatch, _ => { }, GraphShape.FixedWithoutPad);
        foreach (var batch in tile switch { <= 128 => new[] { 1, 16, 32, 64 }, <= 256 => [1, 2, 8, 16], _ => [1, 2] })
        {
            yield return new($"batch {batch}", batch, _ => { });
        }
    }

    /// <summary>The product's CPU session options (all cores), then this setting's change.</summary>
    public SessionOptions CreateOptions()
    {
        var options = DeviceSession.CreateOptions(new DeviceSessionOptions());
        Configure(options);
        return options;
    }

    /// <summary>Tiles per second, the best single run of those in <paramref name="minimumRun"/>.</summary>
    public double Measure(ModelProto graph, ModelCard card, int tile, TimeSpan minimumRun)
    {
        using var options = CreateOptions();
        using var session = new InferenceSession(TileGraph.Shape(graph, Shape, Batch, tile).ToByteArray(), options);
        var input = new float[Batch * card.InChannels * tile * tile];
        var random = new Random(5);
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)((random.NextDouble() * 4) - 2);
        }

        var output = new float[Batch * card.Classes * tile * tile];
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [Batch, card.InChannels, tile, tile]);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(output, [Batch, card.Classes, tile, tile]);
        using var runOptions = new RunOptions();
        string[] inputNames = [session.InputMetadata.Keys.Single()];
        string[] outputNames = [ModeGraph.OutputName];
        session.Run(runOptions, inputNames, [inputValue], outputNames, [outputValue]);
        var fastest = TimeSpan.MaxValue;
        var total = Stopwatch.StartNew();
        for (var runs = 0; runs < 3 || total.Elapsed < minimumRun; runs++)
        {
            var run = Stopwatch.StartNew();
            session.Run(runOptions, inputNames, [inputValue], outputNames, [outputValue]);
            fastest = run.Elapsed < fastest ? run.Elapsed : fastest;
        }

        return Batch / fastest.TotalSeconds;
    }
}

/// <summary>The mode's graph with its symbolic sizes fixed, and optionally its Pads taken out.</summary>
internal static class TileGraph
{
    private const int Downsampling = 16;

    public static ModelProto Shape(ModelProto graph, GraphShape shape, int batch, int tile)
    {
        if (shape == GraphShape.Symbolic)
        {
            return graph;
        }

        var model = graph.Clone();
        var sizes = new Dictionary<string, long> { ["N"] = batch, ["H"] = tile, ["W"] = tile };
        foreach (var value in model.Graph.Input.Concat(model.Graph.Output))
        {
            foreach (var dim in value.Type.TensorType.Shape.Dim.Where(d => sizes.ContainsKey(d.DimParam)))
            {
                dim.DimValue = sizes[dim.DimParam];
            }
        }

        if (shape == GraphShape.FixedWithoutPad)
        {
            if (tile % Downsampling != 0)
            {
                throw new ArgumentException($"Pads are only empty where the tile divides by {Downsampling}; {tile} does not.", nameof(tile));
            }

            foreach (var pad in model.Graph.Node.Where(n => n.OpType == "Pad").ToList())
            {
                model.Graph.Node.Remove(pad);
                foreach (var input in model.Graph.Node.SelectMany(n => n.Input.Select((name, index) => (Node: n, Name: name, Index: index))).Where(x => x.Name == pad.Output[0]).ToList())
                {
                    input.Node.Input[input.Index] = pad.Input[0];
                }
            }

            OnnxGraph.Prune(model.Graph);
        }

        return model;
    }
}

/// <summary>The graph ONNX Runtime runs after its optimisations: operators by kind, and the order of layout changes.</summary>
internal static class OptimisedGraph
{
    public static void Print(ModelProto graph, IReadOnlyList<int> tiles, string folder, TextWriter output)
    {
        var tile = tiles.Contains(256) ? 256 : tiles[0];
        var cases = new (string Name, GraphOptimizationLevel Level, GraphShape Shape)[]
        {
            ("all-symbolic", GraphOptimizationLevel.ORT_ENABLE_ALL, GraphShape.Symbolic),
            ("all-fixed", GraphOptimizationLevel.ORT_ENABLE_ALL, GraphShape.Fixed),
            ("all-fixed-without-pad", GraphOptimizationLevel.ORT_ENABLE_ALL, GraphShape.FixedWithoutPad),
            ("extended-symbolic", GraphOptimizationLevel.ORT_ENABLE_EXTENDED, GraphShape.Symbolic),
        };
        output.WriteLine($"Source graph: {Counts(graph.Graph)}");
        foreach (var (name, level, shape) in cases)
        {
            var file = Path.Combine(folder, $"l4-{tile}-{name}.onnx");
            using (var options = new SessionOptions { GraphOptimizationLevel = level, OptimizedModelFilePath = file })
            using (new InferenceSession(TileGraph.Shape(graph, shape, 4, tile).ToByteArray(), options))
            {
            }

            var optimised = ModelProto.Parser.ParseFrom(File.ReadAllBytes(file)).Graph;
            output.WriteLine($"Optimised ({name}, {tile}²): {Counts(optimised)}");
            output.WriteLine($"  order: {string.Join(" ", Runs(optimised))}");
        }
    }

    private static string Counts(GraphProto graph) =>
        string.Join(", ", graph.Node.GroupBy(Kind).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));

    private static string Kind(NodeProto node) => node.Domain.Length == 0 ? node.OpType : $"{node.Domain}:{node.OpType}";

    /// <summary>Operator kinds in graph order, repeats folded as kind×count, so the layout changes stand out.</summary>
    private static IEnumerable<string> Runs(GraphProto graph)
    {
        string? last = null;
        var count = 0;
        foreach (var kind in graph.Node.Select(n => n.OpType))
        {
            if (kind == last)
            {
                count++;
                continue;
            }

            if (last is not null)
            {
                yield return count == 1 ? last : $"{last}×{count}";
            }

            (last, count) = (kind, 1);
        }

        if (last is not null)
        {
            yield return count == 1 ? last : $"{last}×{count}";
        }
    }
}

/// <summary>
/// What a lone 3×3 convolution reaches at each of the model's levels (its width in and out, at the level's
/// size of the tile, batch 4) against the peak, and the model's rate if every one of its convolutions ran
/// at its level's rate: the ceiling that narrow layers put on the whole model.
/// </summary>
internal static partial class ConvolutionWidths
{
    private const int Batch = 4;

    public static void Print(ModelProto graph, ModelCard card, IReadOnlyList<int> tiles, double peak, TimeSpan minimumRun, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine("| tile | level | width | size | lone 3×3 conv GMAC/s | share of peak | share of the model's MACs |");
        output.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var tile in tiles)
        {
            var macs = LevelMultiplyAccumulates(graph, tile);
            var total = macs.Values.Sum();
            var seconds = 0.0;
            for (var level = 0; level < card.Filters.Count; level++)
            {
                var size = tile >> level;
                var rate = PeakConvolution.Measure(card.Filters[level], size, Batch, 0, minimumRun);
                seconds += macs.GetValueOrDefault(level) / (rate * 1e9);
                output.WriteLine(string.Create(c, $"| {tile} | {level} | {card.Filters[level]} | {size} | {rate:F1} | {rate / peak:P0} | {(double)macs.GetValueOrDefault(level) / total:P0} |"));
            }

            output.WriteLine(string.Create(c, $"| {tile} | model at its levels' rates | | | {total / seconds / 1e9:F1} | {total / seconds / 1e9 / peak:P0} | |"));
        }
    }

    /// <summary>Multiply-accumulates of one tile's convolutions by level (x{i}_{j} runs at tile / 2^i).</summary>
    private static Dictionary<int, long> LevelMultiplyAccumulates(ModelProto graph, int tile)
    {
        var shapes = graph.Graph.Initializer.ToDictionary(t => t.Name, t => t.Dims.ToArray(), StringComparer.Ordinal);
        var macs = new Dictionary<int, long>();
        foreach (var conv in graph.Graph.Node.Where(n => n.OpType == "Conv"))
        {
            var level = ModuleLevel().Match(conv.Name) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            var size = (long)(tile >> level);
            macs[level] = macs.GetValueOrDefault(level) + (shapes[conv.Input[1]].Aggregate(1L, (a, b) => a * b) * size * size);
        }

        return macs;
    }

    [GeneratedRegex(@"^conv(\d+)_\d+\.")]
    private static partial Regex ModuleLevel();
}
