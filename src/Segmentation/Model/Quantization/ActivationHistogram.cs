using System.Numerics;
using System.Runtime.InteropServices;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>
/// The values one activation took over the calibration tiles: its extremes and two histograms of
/// <see cref="Bins"/> equal bins from zero, one of the positive values and one of the magnitudes of the
/// negative ones. A histogram's bins start as wide as the first values it sees need and double (merging
/// neighbours) whenever a larger value comes, so one pass over the tiles is enough and at least half of
/// the bins always span the values seen.
/// </summary>
public sealed class ActivationHistogram
{
    /// <summary>Bins per side, as TensorRT's entropy calibration uses.</summary>
    public const int Bins = 2048;

    public ActivationHistogram(string name) => Name = name;

    public string Name { get; }

    public float Min { get; private set; } = float.PositiveInfinity;

    public float Max { get; private set; } = float.NegativeInfinity;

    public long Count => Positive.Total + Negative.Total;

    /// <summary>Values ≥ 0, by value.</summary>
    public Side Positive { get; } = new();

    /// <summary>Values &lt; 0, by magnitude.</summary>
    public Side Negative { get; } = new();

    /// <summary>Counts <paramref name="values"/>; NaN and infinities are refused, as no range can hold them.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        var (min, max) = Extremes(values);
        if (!float.IsFinite(min) || !float.IsFinite(max))
        {
            throw new InvalidDataException($"activation '{Name}' is not finite on a calibration tile");
        }

        Min = MathF.Min(Min, min);
        Max = MathF.Max(Max, max);
        Positive.Reach(max);
        Negative.Reach(-min);
        Positive.PutAll(values, negative: false);
        if (min < 0)
        {
            Negative.PutAll(values, negative: true);
        }
    }

    private static (float Min, float Max) Extremes(ReadOnlySpan<float> values)
    {
        var lanes = Vector<float>.Count;
        var k = 0;
        var (min, max) = (float.PositiveInfinity, float.NegativeInfinity);
        if (values.Length >= lanes)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            var (low, high) = (vectors[0], vectors[0]);
            foreach (var v in vectors)
            {
                low = Vector.Min(low, v);
                high = Vector.Max(high, v);
            }

            for (var lane = 0; lane < lanes; lane++)
            {
                min = MathF.Min(min, low[lane]);
                max = MathF.Max(max, high[lane]);
            }

            k = vectors.Length * lanes;
        }

        for (; k < values.Length; k++)
        {
            min = MathF.Min(min, values[k]);
            max = MathF.Max(max, values[k]);
        }

        return (min, max);
    }

    /// <summary>One sign's histogram: bin k counts magnitudes in [k·w, (k + 1)·w), the last one up to its edge.</summary>
    public sealed class Side
    {
        private readonly long[] _counts = new long[Bins];

        /// <summary>The width of one bin; 0 until a positive magnitude is seen.</summary>
        public double BinWidth { get; private set; }

        public long Total { get; private set; }

        /// <summary>Values exactly zero (counted in bin 0 of the positive side), which every quantisation holds exactly.</summary>
        public long Zeros { get; private set; }

        public ReadOnlySpan<long> Counts => _counts;

        /// <summary>The magnitude the last bin ends at.</summary>
        public double Edge => BinWidth * Bins;

        /// <summary>Widens the bins (doubling, neighbours merged) until <paramref name="magnitude"/> falls inside.</summary>
        internal void Reach(float magnitude)
        {
            if (magnitude <= 0)
            {
                return;
            }

            if (BinWidth == 0)
            {
                // Headroom of an eighth, so values a little larger on later tiles need no merge.
                BinWidth = magnitude * 1.125 / Bins;
                return;
            }

            while (magnitude >= Edge)
            {
                for (var k = 0; k < Bins / 2; k++)
                {
                    _counts[k] = _counts[2 * k] + _counts[(2 * k) + 1];
                }

                Array.Clear(_counts, Bins / 2, Bins / 2);
                BinWidth *= 2;
            }
        }

        /// <summary>Counts the values of one sign: those ≥ 0, or the magnitudes of those &lt; 0.</summary>
        internal void PutAll(ReadOnlySpan<float> values, bool negative)
        {
            var scale = BinWidth == 0 ? 0 : (float)(1 / BinWidth);
            var sign = negative ? -1f : 1f;
            long counted = 0;
            long zeros = 0;
            foreach (var value in values)
            {
                var magnitude = value * sign;
                if (magnitude > 0)
                {
                    _counts[Math.Min((int)(magnitude * scale), Bins - 1)]++;
                    counted++;
                }
                else if (!negative && magnitude == 0)
                {
                    zeros++;
                }
            }

            _counts[0] += zeros;
            Zeros += zeros;
            Total += counted + zeros;
        }
    }
}
