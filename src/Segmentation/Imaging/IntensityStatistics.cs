namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// One image's values per model channel, gathered row by row, from which its percentiles, mean and
/// standard deviation are read exactly. 8- and 16-bit samples fall on a grid of 65,536 steps of [0, 1],
/// so a histogram holds them whatever the image's size; values off that grid (float samples, colour
/// turned to gray) are kept one by one. Percentiles interpolate linearly between ranks, as numpy's
/// default (and so CSBDeep) does. Not thread-safe.
/// </summary>
public sealed class IntensityStatistics
{
    private const int Steps = 65535;

    private readonly long[][] _histogram;
    private readonly List<float>?[] _values;

    public IntensityStatistics(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        _histogram = [.. Enumerable.Range(0, channels).Select(_ => new long[Steps + 1])];
        _values = new List<float>?[channels];
    }

    public int Channels => _histogram.Length;

    /// <summary>
    /// Why an image of <paramref name="values"/> samples (all channels) cannot be measured as it streams in;
    /// null when it can. Values off the grid are kept one by one, four bytes each, which a giant float
    /// or colour-to-gray image would turn into gigabytes.
    /// </summary>
    public static string? WhyNotMeasurable(bool onGrid, long values) =>
        onGrid || values <= MostKeptOneByOne
            ? null
            : "a per-image normalisation of float or colour-to-gray samples needs every value kept, and this image is too large for that; use --normalize fixed, or store it as 8- or 16-bit gray or matching channels";

    /// <summary>Half a gigabyte of values kept one by one.</summary>
    private const long MostKeptOneByOne = 1L << 27;

    /// <summary>Values counted per channel.</summary>
    public long Count { get; private set; }

    /// <summary>Counts one row of one channel's [0, 1] samples.</summary>
    public void Add(int channel, ReadOnlySpan<float> samples)
    {
        if (channel == 0)
        {
            Count += samples.Length;
        }

        var histogram = _histogram[channel];
        foreach (var v in samples)
        {
            if (_values[channel] is { } values)
            {
                values.Add(v);
                continue;
            }

            var step = MathF.Round(v * Steps);
            if (step is >= 0 and <= Steps && MathF.Abs((v * Steps) - step) < 1e-2f)
            {
                histogram[(int)step]++;
            }
            else
            {
                _values[channel] = Spill(histogram);
                _values[channel]!.Add(v);
            }
        }
    }

    /// <summary>The value below which <paramref name="percent"/> % of the channel's values lie (linear between ranks).</summary>
    public double Percentile(int channel, double percent)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = percent / 100 * (Count - 1);
        var below = (long)Math.Floor(rank);
        var lower = At(channel, below);
        var fraction = rank - below;
        return fraction == 0 ? lower : lower + (fraction * (At(channel, below + 1) - lower));
    }

    public double Mean(int channel)
    {
        var sum = 0.0;
        Each(channel, (value, count) => sum += value * count);
        return Count == 0 ? 0 : sum / Count;
    }

    /// <summary>The population standard deviation (numpy's default), from the mean in a second pass.</summary>
    public double StandardDeviation(int channel)
    {
        var mean = Mean(channel);
        var squares = 0.0;
        Each(channel, (value, count) => squares += (value - mean) * (value - mean) * count);
        return Count == 0 ? 0 : Math.Sqrt(squares / Count);
    }

    /// <summary>The <paramref name="index"/>-th smallest value of the channel (0-based).</summary>
    private double At(int channel, long index)
    {
        if (_values[channel] is { } values)
        {
            values.Sort();
            return values[(int)index];
        }

        var seen = 0L;
        var histogram = _histogram[channel];
        for (var step = 0; step <= Steps; step++)
        {
            seen += histogram[step];
            if (seen > index)
            {
                return (double)step / Steps;
            }
        }

        return 1;
    }

    private void Each(int channel, Action<double, long> visit)
    {
        if (_values[channel] is { } values)
        {
            foreach (var v in values)
            {
                visit(v, 1);
            }

            return;
        }

        var histogram = _histogram[channel];
        for (var step = 0; step <= Steps; step++)
        {
            if (histogram[step] > 0)
            {
                visit((double)step / Steps, histogram[step]);
            }
        }
    }

    /// <summary>The values a histogram has counted, one by one, for a channel that left the grid.</summary>
    private static List<float> Spill(long[] histogram)
    {
        var values = new List<float>();
        for (var step = 0; step <= Steps; step++)
        {
            for (var n = 0L; n < histogram[step]; n++)
            {
                values.Add((float)step / Steps);
            }
        }

        return values;
    }
}
