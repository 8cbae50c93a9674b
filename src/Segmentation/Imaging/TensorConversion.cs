namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// How one image's samples become model input, settled once from its header and the model's input:
/// alpha is dropped, gray is replicated for a three-channel model, colour becomes BT.601 luma for a
/// one-channel model only when <see cref="InputSpec.AllowColorToGray"/> is set, and every sample is
/// normalised per channel as (x − offset) / divisor (<see cref="InputNormalization.For"/>). Whole images
/// and streamed rows both go through it, so a region decoded on its own gets the very values the whole
/// image would, given the whole image's statistics.
/// </summary>
internal sealed class TensorConversion
{
    private readonly int _bands;
    private readonly int _colorBands;
    private readonly bool _toGray;
    private readonly float[]? _offset;
    private readonly float[]? _divisor;
    private readonly float[] _channel;

    private TensorConversion(int channels, int bands, int colorBands, bool toGray, float[]? offset, float[]? divisor, int width)
    {
        Channels = channels;
        _bands = bands;
        _colorBands = colorBands;
        _toGray = toGray;
        _offset = offset;
        _divisor = divisor;
        _channel = new float[width];
    }

    public int Channels { get; }

    /// <summary>Whether colour becomes BT.601 luma, whose values fall between 8- and 16-bit steps.</summary>
    public bool ToGray => _toGray;

    /// <param name="scale">The whole image's per-image normalisation (<see cref="InputNormalization.For"/>); null when it is fixed, or to only <see cref="Measure"/>.</param>
    /// <exception cref="ImageRejectedException">The image's channels do not fit the model's input.</exception>
    public static TensorConversion For(string name, ImageInfo info, InputSpec spec, (float[] Offset, float[] Divisor)? scale)
    {
        var channels = spec.Channels;
        var colorBands = info.ColorBands;
        var toGray = false;
        if (colorBands != channels && !(colorBands == 1 && channels == 3))
        {
            if (colorBands == 3 && channels == 1 && spec.AllowColorToGray)
            {
                toGray = true;
            }
            else
            {
                throw new ImageRejectedException(name, Mismatch(info, spec));
            }
        }

        var (offset, divisor) = spec.Normalization.PerImage
            ? (scale?.Offset, scale?.Divisor)
            : spec.Normalization.For(null);
        if (offset is not null && (offset.Length != channels || divisor!.Length != channels))
        {
            throw new ArgumentException(FormattableString.Invariant($"The normalisation of {name} has {offset.Length} channels for a model that takes {channels}."), nameof(scale));
        }
        return new TensorConversion(channels, info.Bands, colorBands, toGray, offset, divisor, info.Width);
    }

    /// <summary>Why the image's channels do not fit the model's, and what would make them fit.</summary>
    private static string Mismatch(ImageInfo info, InputSpec spec)
    {
        var (bands, channels) = (info.ColorBands, spec.Channels);
        if (spec.Choice is { } choice)
        {
            return FormattableString.Invariant($"--channels {choice} gives {bands} channels, but the model takes {channels}");
        }

        if (bands == 3 && channels == 1)
        {
            return "3 channels, but the model takes 1 (colour-to-gray conversion is not allowed)";
        }

        var names = info.ChannelNames.Count == bands ? info.ChannelNames : [.. Enumerable.Repeat<string?>(null, bands)];
        return FormattableString.Invariant($"{bands} channels, but the model takes {channels}; choose {channels} of them with --channels (its channels are {ChannelChoice.Describe(names)})");
    }

    /// <summary>Counts one row of unit samples, channel by channel as <see cref="Row"/> would convert them, into <paramref name="statistics"/>.</summary>
    public void Measure(ReadOnlySpan<float> row, IntensityStatistics statistics)
    {
        var width = row.Length / _bands;
        for (var c = 0; c < Channels; c++)
        {
            var band = _colorBands == 1 ? 0 : c;
            for (var x = 0; x < width; x++)
            {
                _channel[x] = Value(row, x * _bands, band);
            }

            statistics.Add(c, _channel.AsSpan(0, width));
        }
    }

    /// <summary>
    /// Converts one row of unit samples (interleaved, <c>bands</c> per pixel) into a planar tensor:
    /// channel c of the row goes to <paramref name="data"/> at c × <paramref name="plane"/> + <paramref name="offset"/>.
    /// </summary>
    /// <returns>The row's largest unit sample before normalisation, over the model's channels.</returns>
    public float Row(ReadOnlySpan<float> row, Span<float> data, long plane, long offset)
    {
        if (_offset is null || _divisor is null)
        {
            throw new InvalidOperationException("A per-image normalisation needs the whole image's statistics before any row is converted.");
        }

        var width = row.Length / _bands;
        var peak = 0f;
        for (var c = 0; c < Channels; c++)
        {
            var destination = data.Slice((int)((c * plane) + offset), width);
            var band = _colorBands == 1 ? 0 : c;
            var m = _offset[c];
            var s = _divisor[c];
            for (var x = 0; x < width; x++)
            {
                var v = Value(row, x * _bands, band);
                peak = MathF.Max(peak, v);
                destination[x] = (v - m) / s;
            }
        }

        return peak;
    }

    private float Value(ReadOnlySpan<float> row, int p, int band) => _toGray
        ? (ImageDecoder.LumaRed * row[p]) + (ImageDecoder.LumaGreen * row[p + 1]) + (ImageDecoder.LumaBlue * row[p + 2])
        : row[p + band];
}
