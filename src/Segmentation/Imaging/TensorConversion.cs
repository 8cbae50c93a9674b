namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// How one image's samples become model input, settled once from its header and the model's input:
/// alpha is dropped, gray is replicated for a three-channel model, colour becomes BT.601 luma for a
/// one-channel model only when <see cref="InputSpec.AllowColorToGray"/> is set, and every sample is
/// normalised per channel as (x − mean) / std. Whole images and streamed rows both go through it, so
/// a region decoded on its own gets the very values the whole image would.
/// </summary>
internal sealed class TensorConversion
{
    private readonly int _bands;
    private readonly int _colorBands;
    private readonly bool _toGray;
    private readonly float[] _mean;
    private readonly float[] _std;

    private TensorConversion(int channels, int bands, int colorBands, bool toGray, InputSpec spec)
    {
        Channels = channels;
        _bands = bands;
        _colorBands = colorBands;
        _toGray = toGray;
        _mean = spec.Normalization.Mean;
        _std = spec.Normalization.Std;
    }

    public int Channels { get; }

    /// <exception cref="ImageRejectedException">The image's channels do not fit the model's input.</exception>
    public static TensorConversion For(string name, ImageInfo info, InputSpec spec)
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
                var hint = colorBands == 3 && channels == 1 ? " (colour-to-gray conversion is not allowed)" : "";
                throw new ImageRejectedException(name, FormattableString.Invariant($"{colorBands} channels, but the model takes {channels}{hint}"));
            }
        }

        return new TensorConversion(channels, info.Bands, colorBands, toGray, spec);
    }

    /// <summary>
    /// Converts one row of unit samples (interleaved, <c>bands</c> per pixel) into a planar tensor:
    /// channel c of the row goes to <paramref name="data"/> at c × <paramref name="plane"/> + <paramref name="offset"/>.
    /// </summary>
    public void Row(ReadOnlySpan<float> row, Span<float> data, long plane, long offset)
    {
        var width = row.Length / _bands;
        for (var c = 0; c < Channels; c++)
        {
            var destination = data.Slice((int)((c * plane) + offset), width);
            var band = _colorBands == 1 ? 0 : c;
            var m = _mean[c];
            var s = _std[c];
            for (var x = 0; x < width; x++)
            {
                var p = x * _bands;
                var v = _toGray
                    ? (ImageDecoder.LumaRed * row[p]) + (ImageDecoder.LumaGreen * row[p + 1]) + (ImageDecoder.LumaBlue * row[p + 2])
                    : row[p + band];
                destination[x] = (v - m) / s;
            }
        }
    }
}
