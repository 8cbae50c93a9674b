using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Bench;

/// <summary>A target from the project's issues, checked against what was measured.</summary>
internal sealed record BenchTarget(string Name, string Target, double Measured, bool Met);

/// <summary><c>unetpp-bench run</c>: the engine, mode and cluster benchmarks, as a table or one JSON object.</summary>
internal static class RunCommand
{
    /// <summary>The <c>--only</c> word that selects the rows on silo processes (and what they are compared with).</summary>
    private const string SilosOnly = "cluster";

    /// <summary>The <c>--only</c> word that selects the giant image alone.</summary>
    private const string GiantOnly = "giant";

    private const string SeedAt256 = "seed 32-512 @256";
    private const string SmallAt256 = "small 8-128 @256";

    private static readonly int[] SeedFilters = [32, 64, 128, 256, 512];
    private static readonly int[] SmallFilters = [8, 16, 32, 64, 128];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object (rows and targets) on stdout." };
    private static readonly Option<bool> Quick = new("--quick") { Description = "Shorter runs, one repeat: for a smoke test, not for quoting." };
    private static readonly Option<int> Batch = new("--batch") { Description = "Tiles per model run, for raw and engine alike.", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> SiloImages = new("--silo-images")
    {
        Description = "Images in each job on silo processes: enough that the silos' start-up is a small part of the job.",
        DefaultValueFactory = _ => 96,
    };

    private static readonly Option<int> GiantSize = new("--giant-size")
    {
        Description = $"Side in pixels of the one giant image segmented by unetpp segment in a process of its own (0: none); '--only {GiantOnly}' runs only it.",
        DefaultValueFactory = _ => 20_000,
    };

    private static readonly Option<int> GiantRuns = new("--giant-runs")
    {
        Description = "Times the giant image is segmented, each in a fresh process: its peak memory is quoted for every run, the target for the highest.",
        DefaultValueFactory = _ => 3,
    };

    private static readonly Option<int> Threads = new("--threads") { Description = "CPU threads per operator (0 = all cores).", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Only = new("--only")
    {
        Description = $"Measure only the configurations whose name contains this text (e.g. small, @96), or with '{SilosOnly}' only the rows on silo processes and the rows they are compared with.",
    };

    public static Command Create()
    {
        var command = new Command("run", "Measure raw ONNX Runtime against the engine, every mode against L4, and the job on silo processes.") { Json, Quick, Batch, Threads, SiloImages, GiantSize, GiantRuns, Only };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetValue(Json), parse.GetValue(Quick), parse.GetValue(Batch), parse.GetValue(Threads), parse.GetValue(SiloImages),
            new GiantRun(parse.GetValue(GiantSize), parse.GetValue(GiantRuns)), parse.GetValue(Only), ct));
        return command;
    }

    private static async Task<int> RunAsync(bool json, bool quick, int batch, int threads, int siloImages, GiantRun giant, string? only, CancellationToken cancellationToken)
    {
        var refused = siloImages < 1 ? $"--silo-images {siloImages}: a job has at least one image."
            : giant.Size < 0 ? $"--giant-size {giant.Size}: a side in pixels, or 0 for no giant image."
            : giant.Runs < 1 ? $"--giant-runs {giant.Runs}: the giant image is segmented at least once."
            : null;
        if (refused is not null)
        {
            await Console.Error.WriteLineAsync(refused);
            return BenchCommandLine.Usage;
        }

        try
        {
            return await MeasureAsync(json, quick, batch, threads, siloImages, quick ? new GiantRun(Math.Min(giant.Size, 4096), 1) : giant, only, cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Whatever failed after Ctrl-C failed because of it (a silo that got the signal too, say).
            await Console.Error.WriteLineAsync("interrupted.");
            return BenchCommandLine.Interrupted;
        }
    }

    private static async Task<int> MeasureAsync(bool json, bool quick, int batch, int threads, int siloImages, GiantRun giant, string? only, CancellationToken cancellationToken)
    {
        // The silo rows run on the seed's filters at 256: inference outweighs reading and writing there,
        // as in the engine's own targets, and a one-thread silo takes several seconds for the images.
        BenchConfig[] configs =
        [
            new("seed 32-512 @96", SeedFilters, 96),
            new(SeedAt256, SeedFilters, 256, OnSilos: true),
            new("seed 32-512 @512", SeedFilters, 512),
            new("small 8-128 @96", SmallFilters, 96),
            new(SmallAt256, SmallFilters, 256),
            new("small 8-128 @512", SmallFilters, 512),
        ];
        var peak = PeakConvolution.Measure(threads, TimeSpan.FromSeconds(quick ? 1 : 5));
        await Console.Error.WriteLineAsync($"  peak: one 3x3 convolution, 256 channels at 64x64: {peak:F1} GMAC/s");
        await using var silos = new SiloBenchmark(batch, Console.Error);
        var benchmark = new EngineBenchmark(batch, threads, TimeSpan.FromSeconds(quick ? 1 : 5), quick ? 1 : 2, quick ? Math.Min(siloImages, 16) : siloImages, silos, Console.Error);
        var rows = new List<BenchRow>();
        var int8 = new Int8Benchmark(benchmark, quick ? 1 : 2, quick, Console.Error);
        foreach (var (config, scope) in configs.Select(c => (c, Scope(c, only))))
        {
            if (scope is not { } selected)
            {
                continue;
            }

            var work = Directory.CreateTempSubdirectory("unetpp-bench-");
            try
            {
                rows.AddRange(await benchmark.MeasureAsync(config, selected, work.FullName, cancellationToken));
                if (selected == BenchScope.All)
                {
                    rows.Add(int8.Measure(config, work.FullName));
                }
            }
            finally
            {
                work.Delete(recursive: true);
            }
        }

        IReadOnlyList<double>? giantPeaks = null;
        if (giant.Size > 0 && (only is null || only.Equals(GiantOnly, StringComparison.OrdinalIgnoreCase)))
        {
            var work = Directory.CreateTempSubdirectory("unetpp-bench-giant-");
            try
            {
                var (giantRows, peaksGiB) = await new GiantImageBenchmark(benchmark, batch, threads, Console.Error).MeasureAsync(giant.Size, giant.Runs, work.FullName, cancellationToken);
                rows.AddRange(giantRows);
                giantPeaks = peaksGiB;
            }
            finally
            {
                work.Delete(recursive: true);
            }
        }

        var targets = Targets(rows, peak);
        targets.AddRange(Int8Benchmark.Targets(rows));
        if (giantPeaks is { Count: > 0 })
        {
            var giantRow = rows.Single(r => r.Config == GiantImageBenchmark.Config && r.Name == GiantImageBenchmark.Segment(giant.Size));
            var highest = giantPeaks.Max();
            targets.Add(new($"{giantRow.Name}: highest peak memory of {giantPeaks.Count} runs (GiB)", "<= 1.5", highest, highest <= 1.5));
            targets.Add(new($"{giantRow.Name} / raw", ">= 0.85", giantRow.RatioToRaw, giantRow.RatioToRaw >= 0.85));
        }

        var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}";
        if (json)
        {
            var payload = new
            {
                machine,
                batch,
                peak_gmacs_per_second = peak,
                giant_peak_memory_gib = giantPeaks?.Max(),
                giant_peak_memory_runs_gib = giantPeaks,
                rows = rows.Select(r => new
                {
                    name = $"{r.Config}: {r.Name}",
                    config = r.Config,
                    mode = r.Mode,
                    tiles_per_second = r.TilesPerSecond,
                    ratio_to_raw = r.RatioToRaw,
                    gmacs_per_second = r.GMacsPerSecond,
                    share_of_peak = r.GMacsPerSecond / peak,
                    batch_fill = r.BatchFill,
                    cpu_outside_inference = r.OutsideInference,
                }),
                targets = targets.Select(t => new { name = t.Name, target = t.Target, measured = t.Measured, met = t.Met }),
            };
            Console.WriteLine(JsonSerializer.Serialize(payload, Indented));
        }
        else
        {
            Console.WriteLine(Table(rows, targets, machine, batch, peak, giantPeaks));
        }

        return 0;
    }

    /// <summary>What <c>--only</c> leaves of a configuration; null for nothing.</summary>
    private static BenchScope? Scope(BenchConfig config, string? only) =>
        only is null || config.Name.Contains(only, StringComparison.OrdinalIgnoreCase) ? BenchScope.All
        : config.OnSilos && only.Equals(SilosOnly, StringComparison.OrdinalIgnoreCase) ? BenchScope.Silos
        : null;

    /// <summary>
    /// The targets, each where its rows were measured: the engine ≥ 0.95 of raw; <c>unetpp segment</c> ≥ 0.9
    /// of raw (0.8 at 96²); one silo process on Azurite ≥ 0.9 of raw; two one-thread silos ≥ 1.8× one; the
    /// engine ≥ 1.5× PyTorch eager; its batches ≥ 90 % full; L3 ≥ 1.4× faster than L4, L2 and L1 faster
    /// still; accurate ≤ 1.1× L4's time; on the seed's model at 256², the command's and a silo's CPU
    /// outside inference ≤ 5 % of the inference's; the small model's raw L4 at 256² ≥ half the peak.
    /// </summary>
    private static List<BenchTarget> Targets(List<BenchRow> rows, double peak)
    {
        var targets = new List<BenchTarget>();
        foreach (var config in rows.Select(r => r.Config).Distinct())
        {
            double? Ratio(string numerator, string denominator) => Rate(numerator) / Rate(denominator);
            double? Rate(string name) => rows.SingleOrDefault(r => r.Config == config && r.Name == name)?.TilesPerSecond;
            void Add(string name, double? measured, string comparison, double target)
            {
                if (measured is { } value)
                {
                    var met = comparison switch { ">=" => value >= target, ">" => value > target, _ => value <= target };
                    targets.Add(new($"{config}: {name}", string.Create(CultureInfo.InvariantCulture, $"{comparison} {target}"), value, met));
                }
            }

            var l4 = BenchRow.Raw(InferenceMode.L4);
            Add("engine / raw", Ratio(BenchRow.Engine, l4), ">=", 0.95);

            // A tile of 96² costs the model little, so the image's own reading and writing weigh more there.
            Add("unetpp segment (embedded silo) / raw", Ratio(BenchRow.Segment, l4), ">=", config.EndsWith("@96", StringComparison.Ordinal) ? 0.8 : 0.9);
            Add("one silo process (Azurite) / raw", Ratio(BenchRow.OneSilo, l4), ">=", 0.9);
            Add("two silo processes / one (1 thread each)", Ratio(BenchRow.TwoSilosOneThread, BenchRow.OneSiloOneThread), ">=", 1.8);
            Add("engine / PyTorch eager", Ratio(BenchRow.Engine, BenchRow.TorchEager), ">=", 1.5);
            Add("engine mean batch fill", rows.SingleOrDefault(r => r.Config == config && r.Name == BenchRow.Engine)?.BatchFill, ">=", 0.9);
            Add("L3 speed-up over L4", Ratio(BenchRow.Raw(InferenceMode.L3), l4), ">=", 1.4);
            Add("L2 speed-up over L3", Ratio(BenchRow.Raw(InferenceMode.L2), BenchRow.Raw(InferenceMode.L3)), ">", 1);
            Add("L1 speed-up over L2", Ratio(BenchRow.Raw(InferenceMode.L1), BenchRow.Raw(InferenceMode.L2)), ">", 1);
            Add("accurate time / L4 time", Ratio(l4, BenchRow.Raw(InferenceMode.Accurate)), "<=", 1.1);
            if (config == SeedAt256)
            {
                // Per image, what the command and a silo spend besides the model, against the model's own CPU.
                Add("unetpp segment: CPU outside inference / inference CPU", Row(BenchRow.Segment)?.OutsideInference, "<=", 0.05);
                Add("one silo process: CPU outside inference / inference CPU", Row(BenchRow.OneSilo)?.OutsideInference, "<=", 0.05);
            }

            if (config == SmallAt256)
            {
                Add("raw L4 share of peak", Row(l4)?.GMacsPerSecond / peak, ">=", 0.5);
            }

            BenchRow? Row(string name) => rows.SingleOrDefault(r => r.Config == config && r.Name == name);
        }

        return targets;
    }

    private static string Table(List<BenchRow> rows, List<BenchTarget> targets, string machine, int batch, double peak, IReadOnlyList<double>? giantPeaks)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Machine: {machine}; batch {batch}; best of the interleaved repeats.");
        text.AppendLine(c, $"Peak: {peak:F1} GMAC/s (one 3×3 convolution, 256 channels in and out at 64×64, batch 4, in ONNX Runtime).");
        text.AppendLine();
        text.AppendLine("| model @ tile | measured | tiles/s | ratio to raw L4 | GMAC/s | share of peak | batch fill | CPU outside inference |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            text.AppendLine(c, $"| {row.Config} | {row.Name} | {row.TilesPerSecond:F2} | {row.RatioToRaw:F2} | {row.GMacsPerSecond:F1} | {row.GMacsPerSecond / peak:P0} | {row.BatchFill:P0} | {row.OutsideInference:P0} |");
        }

        if (giantPeaks is { Count: > 0 })
        {
            text.AppendLine();
            text.AppendLine(c, $"Giant image, peak resident memory of each run: {string.Join(", ", giantPeaks.Select(p => p.ToString("F2", c)))} GiB (spread {giantPeaks.Max() - giantPeaks.Min():F2} GiB).");
        }

        text.AppendLine();
        text.AppendLine("| target | wanted | measured | met |");
        text.AppendLine("|---|---|---:|---|");
        foreach (var target in targets)
        {
            text.AppendLine(c, $"| {target.Name} | {target.Target} | {target.Measured:F2} | {(target.Met ? "yes" : "no")} |");
        }

        return text.ToString();
    }
}

/// <summary>The giant image's side in pixels (0: none) and how many times it is segmented.</summary>
internal sealed record GiantRun(int Size, int Runs);
