using NetVips;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// An image read row by row from top to bottom, as a very large image must be: libvips keeps only the
/// rows in flight, so memory is that of the rows asked for, not of the image. Rows are fetched a block
/// at a time, never past the last row a caller asks for, so a TIFF read by region decodes each of its
/// tiles once and reads no tile below the rows wanted. Made by <see cref="ImageDecoder.Open"/>, which
/// has checked the header. Not thread-safe.
/// </summary>
public sealed class StreamedImage : IDisposable
{
    private const int BlockBytes = 4 << 20;
    private const int MaxBlockRows = 256;

    private readonly string _name;
    private readonly Image _image;
    private readonly Region _region;
    private readonly float[] _row;
    private readonly GuardedSource _source;
    private readonly int _rowBytes;
    private readonly int _blockRows;
    private byte[] _block = [];
    private int _blockTop;
    private int _blockCount;
    private int _next;
    private float _peak;

    internal StreamedImage(string name, Image image, ImageInfo info, GuardedSource source)
    {
        _name = name;
        _image = image;
        _source = source;
        Info = info;
        _region = Region.New(image);
        _row = new float[image.Width * image.Bands];
        _rowBytes = image.Width * image.Bands * ImageDecoder.SampleBytes(image.Format);

        // Blocks of a few megabytes: few enough calls into libvips, little memory even for a wide image.
        _blockRows = Math.Clamp(BlockBytes / _rowBytes, 1, MaxBlockRows);
    }

    public ImageInfo Info { get; }

    /// <summary>
    /// Whether the rows read into tensors so far use at most an eighth of their sample range
    /// (<see cref="ImageTensor.Faint"/>); meaningful under a fixed normalisation.
    /// </summary>
    public bool Faint => ImageDecoder.IsFaint(_image.Format, _peak);

    public int Width => Info.Width;

    public int Height => Info.Height;

    /// <summary>
    /// Decodes rows [<paramref name="top"/>, top + count) into rows [<paramref name="row"/>, row + count)
    /// of <paramref name="destination"/>, a planar tensor as wide as the image, with the values
    /// <see cref="ImageDecoder.Decode"/> gives the same rows of the whole image.
    /// </summary>
    /// <param name="scale">The whole image's per-image normalisation (from <see cref="Measure"/>); null when it is fixed.</param>
    public void ReadTensorRows(InputSpec spec, int top, int count, ImageTensor destination, int row, (float[] Offset, float[] Divisor)? scale = null)
    {
        ImageDecoder.ValidateSpec(spec);
        var conversion = TensorConversion.For(_name, Info, spec, scale);
        if (destination.Width != Width || destination.Channels != conversion.Channels || row < 0 || row + count > destination.Height)
        {
            throw new ArgumentException(FormattableString.Invariant(
                $"Rows {row}…{row + count} of a {destination.Channels}×{destination.Height}×{destination.Width} tensor cannot take {count} rows of {_name}."), nameof(destination));
        }

        var plane = (long)destination.Height * Width;
        for (var r = 0; r < count; r++)
        {
            _peak = MathF.Max(_peak, conversion.Row(NextRow(top + r, top + count), destination.Data, plane, (long)(row + r) * Width));
        }
    }

    /// <summary>
    /// Reads every row, top to bottom, into the statistics a per-image normalisation needs, so that every
    /// band of the image is normalised alike; rows cannot be read again afterwards.
    /// </summary>
    public IntensityStatistics Measure(InputSpec spec)
    {
        ImageDecoder.ValidateSpec(spec);
        var conversion = TensorConversion.For(_name, Info, spec, null);
        var onGrid = _image.Format is Enums.BandFormat.Uchar or Enums.BandFormat.Ushort && !conversion.ToGray;
        if (IntensityStatistics.WhyNotMeasurable(onGrid, Info.PixelCount * conversion.Channels) is { } reason)
        {
            throw new ImageRejectedException(_name, reason);
        }

        var statistics = new IntensityStatistics(conversion.Channels);
        for (var y = 0; y < Height; y++)
        {
            conversion.Measure(NextRow(y, Height), statistics);
        }

        return statistics;
    }

    /// <summary>Decodes rows as 8-bit RGB, [count, width, 3], as the overlay preview shows them.</summary>
    public void ReadRgbRows(int top, int count, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, count * Width * 3, nameof(destination));
        for (var r = 0; r < count; r++)
        {
            ImageDecoder.RgbRow(NextRow(top + r, top + count), Info.Bands, Info.ColorBands < 3, destination.Slice(r * Width * 3, Width * 3));
        }
    }

    /// <summary>
    /// Decodes rows as the file's own sample values (0…255 for 8-bit data, 0…65535 for 16-bit, floats as
    /// stored), every channel but alpha: row after row, each channel after channel, [count, channels, width].
    /// What an object's intensity is measured in.
    /// </summary>
    public void ReadSampleRows(int top, int count, Span<float> destination)
    {
        var channels = Info.ColorBands;
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, count * channels * Width, nameof(destination));
        var scale = _image.Format switch
        {
            Enums.BandFormat.Uchar => 255f,
            Enums.BandFormat.Ushort => 65535f,
            _ => 1f,
        };
        for (var r = 0; r < count; r++)
        {
            var row = NextRow(top + r, top + count);
            for (var c = 0; c < channels; c++)
            {
                var plane = destination.Slice(((r * channels) + c) * Width, Width);
                for (var x = 0; x < Width; x++)
                {
                    // Back from unit samples to the file's integers, rounded: a float's one step off is undone.
                    var sample = row[(x * Info.Bands) + c];
                    plane[x] = scale > 1 ? MathF.Round(sample * scale) : sample;
                }
            }
        }
    }

    /// <summary>Decodes rows of a ground-truth mask as 8-bit gray, [count, width], as <see cref="ImageDecoder.DecodeGray8"/> does.</summary>
    /// <exception cref="ImageRejectedException">The image is not a gray or RGB mask.</exception>
    public void ReadGrayRows(int top, int count, Span<byte> destination)
    {
        if (Info.ColorBands is not (1 or 3))
        {
            throw new ImageRejectedException(_name, FormattableString.Invariant($"{Info.ColorBands} channels, but a mask must be gray"));
        }

        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, count * Width, nameof(destination));
        for (var r = 0; r < count; r++)
        {
            ImageDecoder.GrayRow(NextRow(top + r, top + count), Info.Bands, Info.ColorBands == 3, destination.Slice(r * Width, Width));
        }
    }

    public void Dispose()
    {
        _region.Dispose();
        _image.Dispose();
    }

    /// <summary>
    /// Row <paramref name="y"/> as unit samples; rows are read forwards only, skipped ones dropped (and,
    /// read in sequence, decoded). A new block is fetched from <paramref name="y"/> up to at most
    /// <paramref name="end"/>, the row after the caller's last.
    /// </summary>
    private float[] NextRow(int y, int end)
    {
        if (y < _next || y >= Height)
        {
            throw new ArgumentOutOfRangeException(nameof(y), y, FormattableString.Invariant($"Rows are read top to bottom: row {_next} or later of {Height} is next."));
        }

        if (y >= _blockTop + _blockCount || y < _blockTop)
        {
            var count = Math.Min(_blockRows, Math.Min(end, Height) - y);
            try
            {
                _block = _region.Fetch(0, y, Width, count);
            }
            catch (VipsException e)
            {
                // A store that stopped answering is not a damaged image: the caller may try again.
                throw _source.Explain(_name, e);
            }

            (_blockTop, _blockCount) = (y, count);
        }

        _next = y + 1;
        ImageDecoder.ToUnit(_block.AsSpan((y - _blockTop) * _rowBytes, _rowBytes), _image.Format, _row);
        return _row;
    }
}
