namespace UNetPP.Cluster.Reporting;

/// <summary>One bar of a <see cref="Histogram"/>.</summary>
/// <param name="From">The lowest value the bin holds.</param>
/// <param name="To">
/// For measurements, the bin's upper edge (excluded, but for the last bin's); for counts, the highest
/// whole number it holds. Equal to <paramref name="From"/> when all the values were equal.
/// </param>
public sealed record HistogramBin(double From, double To, int Count);

/// <summary>
/// Values counted into a handful of bins with round edges (steps of 1, 2 or 5 times a power of ten),
/// about log2(n) + 1 of them (Sturges), for any number of values: none gives no bins, and values
/// that are all equal give one bin holding them all.
/// </summary>
public sealed class Histogram
{
    private const int MostBins = 20;

    // Edges are multiples of a round step; this absorbs the rounding error of those products.
    private const double Slack = 1e-9;

    private Histogram(IReadOnlyList<HistogramBin> bins, bool counts)
    {
        Bins = bins;
        Counts = counts;
    }

    public IReadOnlyList<HistogramBin> Bins { get; }

    /// <summary>Whether the values are whole numbers, each bin holding <see cref="HistogramBin.From"/> to <see cref="HistogramBin.To"/>.</summary>
    public bool Counts { get; }

    /// <summary>Bins for measurements, such as a fraction of an image.</summary>
    public static Histogram OfMeasurements(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return new Histogram([], counts: false);
        }

        var (min, max) = (values.Min(), values.Max());
        if (min == max)
        {
            return new Histogram([new HistogramBin(min, max, values.Count)], counts: false);
        }

        var width = RoundStep((max - min) / Target(values.Count));
        var start = Math.Floor(min / width) * width;
        var bins = Math.Max(1, (int)Math.Ceiling(((max - start) / width) - Slack));
        var tally = new int[bins];
        foreach (var value in values)
        {
            tally[Math.Clamp((int)Math.Floor(((value - start) / width) + Slack), 0, bins - 1)]++;
        }

        return new Histogram([.. tally.Select((count, i) => new HistogramBin(Edge(start + (i * width)), Edge(start + ((i + 1) * width)), count))], counts: false);
    }

    /// <summary>Bins for whole numbers, such as objects per image: each bin a run of them.</summary>
    public static Histogram OfCounts(IReadOnlyList<int> values)
    {
        if (values.Count == 0)
        {
            return new Histogram([], counts: true);
        }

        var (min, max) = (values.Min(), values.Max());
        var width = Math.Max(1, (int)Math.Ceiling(RoundStep((max - min + 1.0) / Target(values.Count))));
        var start = (int)Math.Floor((double)min / width) * width;
        var tally = new int[((max - start) / width) + 1];
        foreach (var value in values)
        {
            tally[(value - start) / width]++;
        }

        return new Histogram([.. tally.Select((count, i) => new HistogramBin(start + (i * width), start + ((i + 1) * width) - 1, count))], counts: true);
    }

    /// <summary>
    /// Values counted elsewhere into bins of their own, such as object areas in <see cref="Contracts.ObjectSizeBins"/>,
    /// each bin's upper edge the next one's lower; labelled at their edges, which stay short however wide the bins.
    /// </summary>
    public static Histogram OfBins(IReadOnlyList<HistogramBin> bins) => new(bins, counts: false);

    private static int Target(int values) => Math.Clamp((int)Math.Ceiling(Math.Log2(values)) + 1, 1, MostBins);

    /// <summary>The smallest of 1, 2, 5 or 10 times a power of ten that is at least <paramref name="raw"/>.</summary>
    private static double RoundStep(double raw)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        return magnitude * (fraction <= 1 + Slack ? 1 : fraction <= 2 + Slack ? 2 : fraction <= 5 + Slack ? 5 : 10);
    }

    private static double Edge(double value) => Math.Round(value, 10);
}
