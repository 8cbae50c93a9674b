using System.Diagnostics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// One giant image through <c>unetpp segment</c> in a process of its own, with the built-in model, several
/// times in a row: each process's peak resident memory, and the best throughput in the image's own grid
/// tiles (tiles computed twice where regions meet count once) against raw ONNX Runtime on the same model
/// and tile size. The peak is quoted for every run, since what the garbage collector keeps varies.
/// </summary>
internal sealed class GiantImageBenchmark(EngineBenchmark engine, int batchSize, int threads, TextWriter log)
{
    public const string Config = "built-in model, giant image";

    public static string Segment(int size) => $"unetpp segment, one {size}×{size} image";

    public async Task<(IReadOnlyList<BenchRow> Rows, IReadOnlyList<double> PeaksGiB)> MeasureAsync(int size, int runs, string workFolder, CancellationToken cancellationToken)
    {
        var model = DefaultModel.Load();
        var tile = model.Card.TileSize;
        var raw = engine.MeasureRaw(model.Model, model.Card, InferenceMode.L4, tile);
        log.WriteLine($"  {Config} raw L4 {raw,8:F2} tiles/s; writing a {size}×{size} image");
        SamplesCommand.Write(workFolder, 1, size, size, seed: 3);

        var gridTiles = 0;
        var best = 0.0;
        var peaks = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var (rate, peak, tiles) = await SegmentOnceAsync(size, tile, Path.Combine(workFolder, $"out-{run}"), workFolder, cancellationToken);
            (gridTiles, best) = (tiles, Math.Max(best, rate));
            peaks.Add(peak);
        }

        var macs = ModelFigures.Measure(model.Model, model.Card, InferenceMode.L4, tile, tile).MultiplyAccumulates;
        return (
        [
            new BenchRow(BenchRow.Raw(InferenceMode.L4), Config, "L4", raw, 1, raw * macs / 1e9),
            new BenchRow(Segment(size), Config, "L4", best, best / raw, best * macs / 1e9),
        ], peaks);
    }

    /// <summary>One <c>unetpp segment</c> process on the image: grid tiles per second, peak resident GiB, grid tiles.</summary>
    private async Task<(double Rate, double PeakGiB, int GridTiles)> SegmentOnceAsync(int size, int tile, string output, string workFolder, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(RepoPaths.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { RepoPaths.ClientDll, "segment", Path.Combine(workFolder, "images"), "--out", output, "--threads", $"{threads}", "--batch", $"{batchSize}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        long peak = 0;
        try
        {
            // The kernel's high-water mark of the process's resident memory, read until it exits.
            while (!process.HasExited)
            {
                process.Refresh();
                peak = Math.Max(peak, process.PeakWorkingSet64);
                await Task.Delay(200, cancellationToken);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"unetpp segment of the {size}×{size} image exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }

        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName), cancellationToken));
        var gridTiles = new TileGrid(size, size, tile, report.Model.Overlap).Tiles.Count;
        var rate = gridTiles / report.Throughput.Seconds;
        var peakGiB = peak / (double)(1L << 30);
        log.WriteLine($"  {Config} {Segment(size)}: {gridTiles} grid tiles ({report.Throughput.Tiles} computed) in {report.Throughput.Seconds:F1} s, peak {peakGiB:F2} GiB");
        return (rate, peakGiB, gridTiles);
    }
}
