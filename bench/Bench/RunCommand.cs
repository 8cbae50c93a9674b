using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace UNetPP.Cluster.Bench;

/// <summary>A target from the project's issues, checked against what was measured.</summary>
internal sealed record BenchTarget(string Name, string Target, double Measured, bool Met);

/// <summary><c>unetpp-bench run</c>: the engine and mode benchmarks, as a table or one JSON object.</summary>
internal static class RunCommand
{
    private static readonly int[] SeedFilters = [32, 64, 128, 256, 512];
    private static readonly int[] SmallFilters = [8, 16, 32, 64, 128];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object (rows and targets) on stdout." };
    private static readonly Option<bool> Quick = new("--quick") { Description = "Shorter runs, one repeat: for a smoke test, not for quoting." };
    private static readonly Option<int> Batch = new("--batch") { Description = "Tiles per model run, for raw and engine alike.", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> Threads = new("--threads") { Description = "CPU threads per operator (0 = all cores).", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Only = new("--only") { Description = "Measure only the configurations whose name contains this text (e.g. small, @96)." };

    public static Command Create()
    {
        var command = new Command("run", "Measure raw ONNX Runtime against the engine, and every mode against L4.") { Json, Quick, Batch, Threads, Only };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(Json), parse.GetValue(Quick), parse.GetValue(Batch), parse.GetValue(Threads), parse.GetValue(Only)));
        return command;
    }

    private static async Task<int> RunAsync(bool json, bool quick, int batch, int threads, string? only)
    {
        BenchConfig[] configs =
        [
            new("seed 32-512 @96", SeedFilters, 96),
            new("seed 32-512 @256", SeedFilters, 256),
            new("small 8-128 @96", SmallFilters, 96),
            new("small 8-128 @256", SmallFilters, 256),
        ];
        var benchmark = new EngineBenchmark(batch, threads, TimeSpan.FromSeconds(quick ? 1 : 5), quick ? 1 : 2, Console.Error);
        var rows = new List<BenchRow>();
        foreach (var config in configs.Where(c => only is null || c.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            var work = Directory.CreateTempSubdirectory("unetpp-bench-");
            try
            {
                rows.AddRange(await benchmark.MeasureAsync(config, work.FullName));
            }
            finally
            {
                work.Delete(recursive: true);
            }
        }

        var targets = Targets(rows);
        var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}";
        if (json)
        {
            var payload = new
            {
                machine,
                batch,
                rows = rows.Select(r => new { name = $"{r.Config}: {r.Name}", config = r.Config, mode = r.Mode, tiles_per_second = r.TilesPerSecond, ratio_to_raw = r.RatioToRaw }),
                targets = targets.Select(t => new { name = t.Name, target = t.Target, measured = t.Measured, met = t.Met }),
            };
            Console.WriteLine(JsonSerializer.Serialize(payload, Indented));
        }
        else
        {
            Console.WriteLine(Table(rows, targets, machine, batch));
        }

        return 0;
    }

    /// <summary>The engine's targets: ≥ 0.9 of raw on single-tile 256×256 images; L3 ≥ 1.4× faster than L4; accurate ≤ 1.1× L4's time.</summary>
    private static List<BenchTarget> Targets(List<BenchRow> rows)
    {
        var targets = new List<BenchTarget>();
        foreach (var config in rows.Select(r => r.Config).Distinct())
        {
            double TilesPerSecond(string name) => rows.Single(r => r.Config == config && r.Name == name).TilesPerSecond;
            var l4 = TilesPerSecond("raw L4");
            if (config.EndsWith("@256", StringComparison.Ordinal))
            {
                var engine = TilesPerSecond("engine L4 (files to masks)") / l4;
                targets.Add(new($"{config}: engine / raw", ">= 0.9", engine, engine >= 0.9));
                var embedded = TilesPerSecond("unetpp segment L4 (embedded silo)") / TilesPerSecond("engine L4 (files to masks)");
                targets.Add(new($"{config}: unetpp segment (embedded silo) / engine", ">= 0.9", embedded, embedded >= 0.9));
            }

            var l3 = TilesPerSecond("raw L3") / l4;
            targets.Add(new($"{config}: L3 speed-up over L4", ">= 1.4", l3, l3 >= 1.4));
            var accurate = l4 / TilesPerSecond("raw accurate");
            targets.Add(new($"{config}: accurate time / L4 time", "<= 1.1", accurate, accurate <= 1.1));
        }

        return targets;
    }

    private static string Table(List<BenchRow> rows, List<BenchTarget> targets, string machine, int batch)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Machine: {machine}; batch {batch}; best of the interleaved repeats.");
        text.AppendLine();
        text.AppendLine("| model @ tile | measured | tiles/s | ratio to raw L4 |");
        text.AppendLine("|---|---|---:|---:|");
        foreach (var row in rows)
        {
            text.AppendLine(c, $"| {row.Config} | {row.Name} | {row.TilesPerSecond:F2} | {row.RatioToRaw:F2} |");
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
