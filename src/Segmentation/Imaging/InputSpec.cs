using System.Text.Json.Serialization;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// How decoded pixels become model input, per channel. <see cref="Fixed"/>: values are scaled to [0, 1]
/// by the sample type's maximum (255 for 8-bit, 65535 for 16-bit), then normalised as (x - mean) / std.
/// <see cref="Percentile"/>: the image's own values at the low and high percentiles map to 0 and 1, not
/// clipped (CSBDeep's <c>normalize</c>, bioimage.io's <c>scale_range</c>). <see cref="ZScore"/>: the image's
/// own mean maps to 0 and its standard deviation to 1 (bioimage.io's <c>zero_mean_unit_variance</c>).
/// </summary>
public sealed record InputNormalization(float[] Mean, float[] Std)
{
    public const string Fixed = "fixed";
    public const string Percentile = "percentile";
    public const string ZScore = "zscore";

    /// <summary>The seed's albumentations <c>Normalize()</c> defaults (ImageNet statistics).</summary>
    public static InputNormalization ImageNet { get; } =
        new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary><see cref="Fixed"/>, <see cref="Percentile"/> or <see cref="ZScore"/>; cards written before it existed read as fixed.</summary>
    public string Method { get; init; } = Fixed;

    /// <summary>For <see cref="Percentile"/>: the percentile that maps to 0 (CSBDeep's default).</summary>
    public double Low { get; init; } = 1;

    /// <summary>For <see cref="Percentile"/>: the percentile that maps to 1 (CSBDeep's default).</summary>
    public double High { get; init; } = 99.8;

    /// <summary>Whether the image's own statistics are needed before any of its pixels can be normalised.</summary>
    [JsonIgnore]
    public bool PerImage => Method != Fixed;

    /// <summary>What is wrong with the method or its percentiles, in the card's words; null when nothing is.</summary>
    public string? Problem() => Method switch
    {
        Fixed or ZScore => null,
        Percentile when Low is >= 0 and <= 100 && High is >= 0 and <= 100 && Low < High => null,
        Percentile => FormattableString.Invariant($"percentiles must satisfy 0 <= low < high <= 100; got {Low} and {High}"),
        _ => $"normalization method must be '{Fixed}', '{Percentile}' or '{ZScore}'; got '{Method}'",
    };

    /// <summary>
    /// Per channel, the offset and divisor that take a [0, 1] sample to model input as (x - offset) / divisor:
    /// the card's mean and std when fixed, otherwise from <paramref name="statistics"/> of this very image.
    /// </summary>
    public (float[] Offset, float[] Divisor) For(IntensityStatistics? statistics)
    {
        if (!PerImage)
        {
            return (Mean, Std);
        }

        ArgumentNullException.ThrowIfNull(statistics);
        var offset = new float[statistics.Channels];
        var divisor = new float[statistics.Channels];
        for (var c = 0; c < statistics.Channels; c++)
        {
            var (from, spread) = Method == Percentile
                ? (statistics.Percentile(c, Low), statistics.Percentile(c, High) - statistics.Percentile(c, Low))
                : (statistics.Mean(c), statistics.StandardDeviation(c));

            // A flat channel has no spread to divide by; it becomes all zeros, as bioimage.io's epsilon makes it.
            offset[c] = (float)from;
            divisor[c] = spread > 0 ? (float)spread : 1f;
        }

        return (offset, divisor);
    }
}

/// <summary>What the model expects of an image: its channel count and normalisation.</summary>
/// <param name="Channels">Channels the model takes (1 gray, 3 RGB, …).</param>
/// <param name="AllowColorToGray">Whether a colour image may be reduced to gray for a one-channel model.</param>
/// <param name="Normalization">Per-channel normalisation; its arrays have <paramref name="Channels"/> entries.</param>
public sealed record InputSpec(int Channels, bool AllowColorToGray, InputNormalization Normalization)
{
    /// <summary>The image's channels the model is given (<c>--channels</c>); null takes them as the image has them.</summary>
    public ChannelChoice? Choice { get; init; }
}

/// <summary>
/// A decoded, normalised image in planar layout: channel-major, then rows, then columns. Produced by
/// <see cref="ImageDecoder.Decode"/>; <see cref="Tiling.TileGrid.CopyTile"/> cuts model-sized tiles from it.
/// </summary>
public sealed class ImageTensor(int channels, int height, int width, float[] data)
{
    public int Channels { get; } = channels;
    public int Height { get; } = height;
    public int Width { get; } = width;

    /// <summary>Length Channels × Height × Width; element (c, y, x) is at (c × Height + y) × Width + x.</summary>
    public float[] Data { get; } = data;

    /// <summary>Whether the image's values use so little of their sample type's range that a fixed normalisation leaves it nearly black.</summary>
    public bool Faint { get; init; }
}
