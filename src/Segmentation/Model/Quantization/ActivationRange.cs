using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>The float values an activation's 8-bit steps span, from <see cref="Low"/> to <see cref="High"/>; values outside saturate.</summary>
public readonly record struct ActivationRange(float Low, float High)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Low:G4}, {High:G4}]");

    /// <summary>The range <paramref name="method"/> chooses for what <paramref name="histogram"/> counted.</summary>
    public static ActivationRange Choose(ActivationHistogram histogram, RangeMethod method, double percentile)
    {
        if (histogram.Count == 0)
        {
            throw new InvalidOperationException($"activation '{histogram.Name}' saw no values");
        }

        var signed = histogram.Min < 0;
        if (method == RangeMethod.Percentile)
        {
            // A non-negative activation (after a ReLU, say) loses only its top tail; a signed one half on each side.
            var tail = (100 - percentile) / (signed ? 200 : 100) * histogram.Count;
            return new(
                signed ? -MathF.Min(-histogram.Min, Upper(histogram.Negative, tail)) : MathF.Max(0, histogram.Min),
                MathF.Min(histogram.Max, Upper(histogram.Positive, tail)));
        }

        if (!signed)
        {
            // uint8 with zero point 0: 256 levels from 0 up to the threshold.
            var counts = histogram.Positive.Counts.ToArray();
            counts[0] -= histogram.Positive.Zeros;
            var threshold = Entropy(counts, histogram.Positive.BinWidth, levels: 256);
            return new(MathF.Max(0, histogram.Min), MathF.Min(histogram.Max, threshold));
        }

        // A signed activation: one histogram of magnitudes, half of the 256 levels each side.
        var (magnitudes, width) = Magnitudes(histogram);
        var symmetric = Entropy(magnitudes, width, levels: 128);
        return new(MathF.Max(histogram.Min, -symmetric), MathF.Min(histogram.Max, symmetric));
    }

    /// <summary>
    /// The magnitude below which all but <paramref name="tail"/> of a side's values lie: the upper edge of the
    /// bin the cut falls in, counting down from the top.
    /// </summary>
    private static float Upper(ActivationHistogram.Side side, double tail)
    {
        var counts = side.Counts;
        double above = 0;
        for (var k = counts.Length - 1; k >= 0; k--)
        {
            above += counts[k];
            if (above > tail)
            {
                return (float)((k + 1) * side.BinWidth);
            }
        }

        return 0;
    }

    /// <summary>
    /// TensorRT's calibration: of the thresholds from <paramref name="levels"/> bins up to the last bin
    /// holding a value, the one where the distribution clipped there (outliers added to its last bin) and
    /// the same distribution squeezed into <paramref name="levels"/> steps differ least (KL divergence).
    /// </summary>
    internal static float Entropy(long[] counts, double binWidth, int levels)
    {
        var last = Array.FindLastIndex(counts, c => c > 0);
        if (last < levels)
        {
            return (float)((last + 1) * binWidth);
        }

        var suffix = new double[counts.Length + 1];
        for (var k = counts.Length - 1; k >= 0; k--)
        {
            suffix[k] = suffix[k + 1] + counts[k];
        }

        var best = (Divergence: double.PositiveInfinity, Bins: last + 1);
        var p = new double[counts.Length];
        var q = new double[counts.Length];
        for (var i = levels; i <= last + 1; i++)
        {
            // The reference: bins below i as they are, everything from i up added to bin i − 1.
            for (var k = 0; k < i; k++)
            {
                p[k] = counts[k];
            }

            p[i - 1] += suffix[i];

            // The candidate: bins below i merged into `levels` groups, each group's count spread evenly over
            // its bins that held values (empty bins stay empty, as quantised values cannot fill them).
            for (var j = 0; j < levels; j++)
            {
                var (start, end) = ((int)((long)j * i / levels), (int)((long)(j + 1) * i / levels));
                double total = 0;
                var filled = 0;
                for (var k = start; k < end; k++)
                {
                    total += counts[k];
                    filled += counts[k] > 0 ? 1 : 0;
                }

                for (var k = start; k < end; k++)
                {
                    q[k] = counts[k] > 0 ? total / filled : 0;
                }
            }

            var divergence = Divergence(p.AsSpan(0, i), q.AsSpan(0, i));
            if (divergence < best.Divergence)
            {
                best = (divergence, i);
            }
        }

        return (float)(best.Bins * binWidth);
    }

    /// <summary>KL(p ‖ q) of two unnormalised distributions; a bin q leaves empty where p has mass costs as if q held a trace there.</summary>
    private static double Divergence(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        (double pSum, double qSum) = (0, 0);
        for (var k = 0; k < p.Length; k++)
        {
            pSum += p[k];
            qSum += q[k];
        }

        if (pSum == 0 || qSum == 0)
        {
            return double.PositiveInfinity;
        }

        const double Trace = 1e-9;
        double divergence = 0;
        for (var k = 0; k < p.Length; k++)
        {
            if (p[k] > 0)
            {
                var pk = p[k] / pSum;
                var qk = Math.Max(q[k] / qSum, Trace);
                divergence += pk * Math.Log(pk / qk);
            }
        }

        return divergence;
    }

    /// <summary>Both sides as one histogram of magnitudes, in the wider side's bins.</summary>
    private static (long[] Counts, double BinWidth) Magnitudes(ActivationHistogram histogram)
    {
        var (wide, narrow) = histogram.Positive.BinWidth >= histogram.Negative.BinWidth
            ? (histogram.Positive, histogram.Negative)
            : (histogram.Negative, histogram.Positive);
        var counts = wide.Counts.ToArray();
        counts[0] -= histogram.Positive.Zeros;
        var narrowCounts = narrow.Counts.ToArray();
        if (ReferenceEquals(narrow, histogram.Positive))
        {
            narrowCounts[0] -= histogram.Positive.Zeros;
        }

        for (var k = 0; k < narrowCounts.Length; k++)
        {
            var centre = (k + 0.5) * narrow.BinWidth;
            counts[Math.Min((int)(centre / wide.BinWidth), counts.Length - 1)] += narrowCounts[k];
        }

        return (counts, wide.BinWidth);
    }
}
