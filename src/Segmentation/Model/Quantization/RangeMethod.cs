namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>How an activation's calibrated values become the range its 8-bit steps cover.</summary>
public enum RangeMethod
{
    /// <summary>The range that holds a given percentile of the values; the rest saturate (<see cref="QuantizationOptions.Percentile"/>).</summary>
    Percentile,

    /// <summary>The range whose quantised histogram loses the least information (KL divergence), as TensorRT calibrates.</summary>
    Entropy,
}

/// <summary>The names of <see cref="RangeMethod"/> on the command line and in model cards.</summary>
public static class RangeMethods
{
    public const string Percentile = "percentile";
    public const string Entropy = "entropy";

    public static string ToName(this RangeMethod method) => method switch
    {
        RangeMethod.Percentile => Percentile,
        RangeMethod.Entropy => Entropy,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    public static bool TryParse(string? name, out RangeMethod method)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case Percentile:
                method = RangeMethod.Percentile;
                return true;
            case Entropy:
                method = RangeMethod.Entropy;
                return true;
            default:
                method = default;
                return false;
        }
    }
}
