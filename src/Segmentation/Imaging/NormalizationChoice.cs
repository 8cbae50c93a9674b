using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// A job's <c>--normalize</c>: <c>fixed</c> (the card's mean and std), <c>percentile</c> or
/// <c>percentile:low,high</c> (default 1 and 99.8), or <c>zscore</c>. It replaces the card's method for
/// the job; a card's mean and std stay what <c>fixed</c> uses.
/// </summary>
public sealed record NormalizationChoice(string Method, double Low, double High)
{
    public const string Usage = "use fixed, percentile, percentile:low,high (e.g. percentile:1,99.8) or zscore";

    /// <summary>Reads the option's text; throws <see cref="ArgumentException"/> with a message naming it.</summary>
    public static NormalizationChoice Parse(string text)
    {
        var defaults = InputNormalization.ImageNet;
        var parts = text.Trim().Split(':', 2);
        var method = parts[0].ToLowerInvariant();
        var choice = new NormalizationChoice(method, defaults.Low, defaults.High);
        if (parts.Length == 2)
        {
            var bounds = parts[1].Split(',');
            if (method != InputNormalization.Percentile || bounds.Length != 2
                || !double.TryParse(bounds[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low)
                || !double.TryParse(bounds[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high))
            {
                throw new ArgumentException($"--normalize {text}: {Usage}.");
            }

            choice = choice with { Low = low, High = high };
        }

        if (choice.ApplyTo(defaults).Problem() is { } problem)
        {
            throw new ArgumentException($"--normalize {text}: {(method is InputNormalization.Percentile ? problem : Usage)}.");
        }

        return choice;
    }

    /// <summary>The card's normalisation with this method (and percentiles) in place of its own.</summary>
    public InputNormalization ApplyTo(InputNormalization card) =>
        card with { Method = Method, Low = Low, High = High };

    /// <summary>The words <see cref="Parse"/> reads back to this choice.</summary>
    public override string ToString() => Method == InputNormalization.Percentile
        ? FormattableString.Invariant($"{Method}:{Low},{High}")
        : Method;
}
