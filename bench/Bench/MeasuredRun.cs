using System.Diagnostics;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// What one run gave: tiles per second and, where its process's CPU time was counted, the CPU seconds
/// it spent per tile on every core, user and system together.
/// </summary>
internal sealed record MeasuredRun(double TilesPerSecond, double? CpuSecondsPerTile = null)
{
    /// <summary>
    /// The CPU this run spent per tile beyond what <paramref name="inference"/> (raw ONNX Runtime on the
    /// same model and tiles) spends on the tile itself, as a share of the latter: decoding, blending,
    /// encoding, storage and the job's own work, against the model.
    /// </summary>
    public double? OutsideInference(MeasuredRun inference) =>
        CpuSecondsPerTile is { } spent && inference.CpuSecondsPerTile is { } model and > 0 ? (spent - model) / model : null;

    /// <summary>This process's CPU time so far.</summary>
    public static TimeSpan ProcessorTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
