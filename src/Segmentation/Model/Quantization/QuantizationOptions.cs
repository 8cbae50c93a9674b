using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>How <see cref="ModelQuantizer"/> calibrates and rewrites a float32 model.</summary>
public sealed record QuantizationOptions
{
    public const double DefaultPercentile = 99.99;

    public const int DefaultTiles = 300;

    public RangeMethod Method { get; init; } = RangeMethod.Percentile;

    /// <summary>For <see cref="RangeMethod.Percentile"/>: the share of each activation's values its range holds, in (50, 100].</summary>
    public double Percentile { get; init; } = DefaultPercentile;

    /// <summary>Tiles, at the card's tile size, cut from the calibration images and run through the float model.</summary>
    public int Tiles { get; init; } = DefaultTiles;

    /// <summary>CPU threads for the calibration runs; 0 lets ONNX Runtime use every core.</summary>
    public int Threads { get; init; }

    /// <summary>Why the options cannot be used, or null.</summary>
    public string? Problem() =>
        Method == RangeMethod.Percentile && Percentile is not (> 50 and <= 100)
            ? string.Create(CultureInfo.InvariantCulture, $"--percentile must lie in (50, 100]; got {Percentile}")
            : Tiles <= 0 ? string.Create(CultureInfo.InvariantCulture, $"--tiles must be a positive whole number; got {Tiles}")
            : Threads < 0 ? $"threads must be 0 or more; got {Threads}"
            : null;
}
