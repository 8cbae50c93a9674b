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

    /// <summary>Steps of the 16-bit grid between two 8-bit values: 65535 = 255 × 257.</summary>
    private const int ByteStep = 257;

    /// <summary>
    /// Per channel, counts on the 8-bit grid (256 bins) until a value falls between its points, then on
    /// the 16-bit grid (65,536 bins). Most images are 8-bit: a half-megabyte histogram per channel for
    /// each of them would be garbage on the large-object heap, image after image.
    /// </summary>
    private readonly long[][] _histogram;
    private readonly List<float>?[] _values;

    public IntensityStatistics(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        _histogram = [.. Enumerable.Range(0, channels).Select(_ => new long[(Steps / ByteStep) + 1])];
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
                Count16(channel, (int)step);
            }
            else
            {
                _values[channel] = Spill(_histogram[channel]);
                _values[channel]!.Add(v);
            }
        }
    }

    private void Count16(int channel, int step)
    {
        var histogram = _histogram[channel];
        if (histogram.Length == Steps + 1)
        {
            histogram[step]++;
        }
        else if (step % ByteStep == 0)
        {
            histogram[step / ByteStep]++;
        }
        else
        {
            var fine = new long[Steps + 1];
            for (var bin = 0; bin < histogram.Length; bin++)
            {
                fine[bin * ByteStep] = histogram[bin];
            }

            fine[step]++;
            _histogram[channel] = fine;
        }
    }

    /// <summary>The 16-bit grid step a bin of <paramref name="histogram"/> counts.</summary>
    private static int StepOf(long[] histogram, int bin) => histogram.Length == Steps + 1 ? bin : bin * ByteStep;

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
        for (var bin = 0; bin < histogram.Length; bin++)
        {
            seen += histogram[bin];
            if (seen > index)
            {
                return (double)StepOf(histogram, bin) / Steps;
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
        for (var bin = 0; bin < histogram.Length; bin++)
        {
            if (histogram[bin] > 0)
            {
                visit((double)StepOf(histogram, bin) / Steps, histogram[bin]);
            }
        }
    }

    /// <summary>The values a histogram has counted, one by one, for a channel that left the grid.</summary>
    private static List<float> Spill(long[] histogram)
    {
        var values = new List<float>();
        for (var bin = 0; bin < histogram.Length; bin++)
        {
            for (var n = 0L; n < histogram[bin]; n++)
            {
                values.Add((float)StepOf(histogram, bin) / Steps);
            }
        }

        return values;
    }
}
