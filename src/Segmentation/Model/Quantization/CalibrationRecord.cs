using System.Globalization;
using System.Text.Json.Serialization;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>
/// What an int8 model's activation ranges were measured on and how they were chosen, kept in its card
/// (<see cref="ModelCard.Calibration"/>) so that a file says how it was made.
/// </summary>
public sealed record CalibrationRecord
{
    /// <summary><see cref="RangeMethods.Percentile"/> or <see cref="RangeMethods.Entropy"/>.</summary>
    public string Method { get; init; } = RangeMethods.Percentile;

    /// <summary>The percentile of the values each range holds, for the percentile method; null for entropy.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Percentile { get; init; }

    /// <summary>Calibration images the tiles were cut from.</summary>
    public int Images { get; init; }

    /// <summary>Tiles (at the card's tile size) run through the float model to measure the ranges.</summary>
    public int Tiles { get; init; }

    /// <summary>Why the record cannot be right, or null.</summary>
    public string? Problem()
    {
        if (!RangeMethods.TryParse(Method, out var method) || Method != method.ToName())
        {
            return $"method must be '{RangeMethods.Percentile}' or '{RangeMethods.Entropy}'; got '{Method}'";
        }

        if (method == RangeMethod.Percentile && Percentile is not (> 50 and <= 100))
        {
            return Percentile is null
                ? "the percentile method needs its percentile"
                : string.Create(CultureInfo.InvariantCulture, $"percentile must lie in (50, 100]; got {Percentile}");
        }

        if (method == RangeMethod.Entropy && Percentile is not null)
        {
            return "the entropy method takes no percentile";
        }

        return Images <= 0 || Tiles <= 0
            ? string.Create(CultureInfo.InvariantCulture, $"images and tiles must be positive; got {Images} and {Tiles}")
            : null;
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Method}{(Percentile is { } p ? $" {p}" : "")}, {Tiles} tile{(Tiles == 1 ? "" : "s")} from {Images} image{(Images == 1 ? "" : "s")}");
}
