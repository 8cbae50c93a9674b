using System.Globalization;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>
/// A package's preprocessing said in the card's terms. The engine divides an image's samples by
/// <see cref="Scale"/> (its sample type's maximum) before the normalisation, so a fixed normalisation written
/// for raw values holds only for images of the range <see cref="Assumption"/> names.
/// </summary>
internal sealed record InputTranslation(InputNormalization Normalization, double Scale, string Assumption)
{
    /// <summary>
    /// Maps <paramref name="input"/>'s preprocessing onto one card normalisation; throws
    /// <see cref="InvalidDataException"/> naming the step the engine cannot do.
    /// </summary>
    public static InputTranslation Translate(TensorDescription input, int channels)
    {
        // The fixed steps so far, per channel, as value = gain × raw + offset.
        var gain = Enumerable.Repeat(1.0, channels).ToArray();
        var offset = new double[channels];
        InputNormalization? perImage = null;
        var named = "";
        foreach (var step in input.Steps)
        {
            var arguments = step.Arguments;
            if (perImage is not null && step.Name is not "ensure_dtype")
            {
                throw new InvalidDataException($"{step} comes after the per-image normalisation '{named}', which the card cannot follow with another step");
            }

            switch (step.Name)
            {
                case "ensure_dtype":
                    var type = arguments?["dtype"].Text;
                    if (type is not ("float32" or "float64"))
                    {
                        throw new InvalidDataException($"{step} casts to {type}; unetpp gives the model float32 values");
                    }

                    break;
                case "scale_linear":
                    Compose(step, gain, offset, PerChannel(step, arguments?.Find("gain"), channels, 1), PerChannel(step, arguments?.Find("offset"), channels, 0));
                    break;
                case "fixed_zero_mean_unit_variance":
                    var given = arguments ?? throw new InvalidDataException($"{step} has no kwargs with its mean and std");
                    var eps = given.Find("eps")?.Number ?? 0;
                    var mean = PerChannel(step, given["mean"], channels, 0);
                    var std = PerChannel(step, given["std"], channels, 1);
                    Compose(step, gain, offset, [.. std.Select(s => 1 / (s + eps))], [.. mean.Select((m, c) => -m / (std[c] + eps))]);
                    break;
                case "zero_mean_unit_variance":
                    perImage = PerImage(step, input, channels, gain) with { Method = InputNormalization.ZScore };
                    named = step.Name;
                    break;
                case "scale_range":
                    perImage = PerImage(step, input, channels, gain) with
                    {
                        Method = InputNormalization.Percentile,
                        Low = arguments?.Find("min_percentile")?.Number ?? 0,
                        High = arguments?.Find("max_percentile")?.Number ?? 100,
                    };
                    named = step.Name;
                    break;
                case "clip":
                    Clip(step, input, gain, offset);
                    break;
                default:
                    throw new InvalidDataException($"{step}: unetpp cannot do this step before the model; its normalisation is fixed, percentile or zscore per image");
            }
        }

        var (scale, range) = RawScale(input);
        if (perImage is not null)
        {
            return new InputTranslation(perImage, scale ?? 1, $"per-image {perImage.Method} normalisation ('{named}'), which holds whatever the images' bit depth");
        }

        if (scale is null)
        {
            var declared = input.RangeMax is { } top
                ? $"values up to {top.ToString(CultureInfo.InvariantCulture)}"
                : $"{input.DataType} values with no data range";
            throw new InvalidDataException(
                $"input '{input.Id}' takes {declared} under a fixed normalisation, but unetpp first divides images by 255 (8-bit) or 65535 (16-bit) and cannot tell which this model was given; set the input's data range in the description to [0, 255] or [0, 65535]");
        }

        // (u - mean) / std with u = raw / scale equals gain × raw + offset.
        var normalization = new InputNormalization(
            [.. gain.Select((g, c) => (float)(-offset[c] / (g * scale.Value)))],
            [.. gain.Select(g => (float)(1 / (g * scale.Value)))]);
        return new InputTranslation(normalization, scale.Value, $"fixed normalisation for input values {range}, as the package's input {(input.RangeMax is null ? $"type {input.DataType}" : "data range")} says");
    }

    private static InputNormalization PerImage(ProcessingStep step, TensorDescription input, int channels, double[] gain)
    {
        var arguments = step.Arguments;
        if (arguments?.Find("mode")?.Text is { } mode && mode != "per_sample")
        {
            throw new InvalidDataException($"{step} uses mode '{mode}'; unetpp computes it per image (per_sample) only");
        }

        if (arguments?.Find("reference_tensor")?.Text is { } reference && reference != input.Id)
        {
            throw new InvalidDataException($"{step} takes its statistics from tensor '{reference}'; unetpp takes them from the image itself");
        }

        // Statistics per channel over y and x; across channels too only where there is one channel.
        var axes = arguments?.Find("axes") is { } given
            ? given.IsSequence ? string.Concat(given.Items.Select(a => Letter(a.Text))) : given.Text
            : input.Axes;
        if (!axes.Contains('y') || !axes.Contains('x') || (axes.Contains('c') && channels > 1))
        {
            throw new InvalidDataException($"{step} pools its statistics over axes '{axes}'; unetpp pools each channel over y and x");
        }

        if (gain.Any(g => g <= 0))
        {
            throw new InvalidDataException($"{step} follows a step that turns values around (a negative gain), which a per-image normalisation cannot follow");
        }

        return new InputNormalization([.. Enumerable.Repeat(0f, channels)], [.. Enumerable.Repeat(1f, channels)]);
    }

    private static string Letter(string axis) => axis switch
    {
        "channel" => "c",
        "batch" => "b",
        _ => axis,
    };

    private static double[] PerChannel(ProcessingStep step, RdfNode? value, int channels, double missing)
    {
        var numbers = value?.Numbers ?? [missing];
        return numbers.Count == 1 ? [.. Enumerable.Repeat(numbers[0], channels)]
            : numbers.Count == channels ? [.. numbers]
            : throw new InvalidDataException($"{step} gives {numbers.Count} values for {channels} channels");
    }

    private static void Compose(ProcessingStep step, double[] gain, double[] offset, double[] stepGain, double[] stepOffset)
    {
        for (var c = 0; c < gain.Length; c++)
        {
            gain[c] *= stepGain[c];
            offset[c] = (offset[c] * stepGain[c]) + stepOffset[c];
            if (!(gain[c] > 0) || !double.IsFinite(offset[c]))
            {
                throw new InvalidDataException($"{step} leaves a gain of {gain[c].ToString(CultureInfo.InvariantCulture)} on channel {c}; the card's fixed normalisation needs a positive one");
            }
        }
    }

    /// <summary>A clip the card can keep only when it changes nothing: every value the input can hold already lies inside it.</summary>
    private static void Clip(ProcessingStep step, TensorDescription input, double[] gain, double[] offset)
    {
        var (low, high) = (input.RangeMin ?? TypeRange(input.DataType)?.Min, input.RangeMax ?? TypeRange(input.DataType)?.Max);
        var min = step.Arguments?.Find("min")?.Number ?? double.NegativeInfinity;
        var max = step.Arguments?.Find("max")?.Number ?? double.PositiveInfinity;
        var inside = low is not null && high is not null && step.Arguments?.Find("min_percentile") is null && step.Arguments?.Find("max_percentile") is null
            && gain.Select((g, c) => (g * low.Value) + offset[c]).All(v => v >= min - Slack(min))
            && gain.Select((g, c) => (g * high.Value) + offset[c]).All(v => v <= max + Slack(max));
        if (!inside)
        {
            throw new InvalidDataException($"{step} would cut values off, and the card's normalisation cannot clip; unetpp takes a clip only where the input's range already lies inside it");
        }
    }

    /// <summary>Rounding room, so a clip at exactly the ends of the input's range counts as inside it.</summary>
    private static double Slack(double bound) => 1e-6 * Math.Max(1, Math.Abs(bound));

    /// <summary>The maximum the engine divides by, with the range it assumes; null when the description does not say.</summary>
    private static (double? Scale, string Range) RawScale(TensorDescription input)
    {
        var max = input.RangeMax ?? TypeRange(input.DataType)?.Max;
        return max switch
        {
            1 => (1, "0–1"),
            255 => (255, "0–255 (8-bit images)"),
            65535 => (65535, "0–65535 (16-bit images)"),
            _ => (null, ""),
        };
    }

    private static (double Min, double Max)? TypeRange(string type) => type switch
    {
        "uint8" => (0, 255),
        "uint16" => (0, 65535),
        _ => null,
    };
}
