using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using NetVips;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// Turns PNG, JPEG and TIFF bytes into model input, previews and ground-truth masks. Every failure is an
/// <see cref="ImageRejectedException"/>. Stateless apart from its options, so one instance may be shared
/// by concurrent callers (libvips itself is thread-safe).
/// </summary>
/// <remarks>
/// Pixels are taken in stored orientation: EXIF orientation is not applied, so masks line up
/// pixel-for-pixel with the stored raster. A multi-page TIFF is read a plane at a time: the plane its
/// name says (<see cref="ImagePlane"/>), else its first (<see cref="ReadPlanes"/> lists them).
/// </remarks>
public sealed class ImageDecoder
{
    // ITU-R BT.601 luma, the weights OpenCV's BGR2GRAY (and so the seed's gray reads) use.
    internal const float LumaRed = 0.299f;
    internal const float LumaGreen = 0.587f;
    internal const float LumaBlue = 0.114f;

    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    static ImageDecoder() => VipsSettings.Apply();

    public ImageDecoder(ImageDecoderOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxPixels);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.DecodeTimeout, TimeSpan.Zero, nameof(options.DecodeTimeout));
        Options = options;
    }

    public ImageDecoderOptions Options { get; }

    /// <summary>Reads the header only; no pixel data is decoded and no size limit is applied.</summary>
    public static ImageInfo ReadInfo(string name, byte[] bytes)
    {
        using var image = OpenHeader(name, bytes, out var format);
        return Describe(image, format);
    }

    /// <summary>
    /// Reads the header of an image in a seekable stream, which is left at its start; only the first
    /// bytes of a large stored image are fetched. No size limit is applied.
    /// </summary>
    public static ImageInfo ReadInfo(string name, Stream image)
    {
        var source = new GuardedSource(image);
        using var header = OpenHeader(name, source, out var format);
        var info = Describe(header, format);
        image.Position = 0;
        return info;
    }

    /// <summary>
    /// Opens an image in a seekable stream to be read row by row, top to bottom, holding only the rows
    /// asked for: a very large image is decoded with the memory of a band of it. A tiled TIFF (as
    /// whole-slide images are stored) is read by region, so rows far down it are read without the tiles
    /// above them: a band of a giant image reads about its share of the file. libvips reads other
    /// formats, stripped TIFF included, from the top. The header is checked as
    /// <see cref="Decode"/> checks it; the stream must stay open until the result is disposed.
    /// </summary>
    /// <param name="channels">The channels to read (<c>--channels</c>); null reads them as the image has them.</param>
    public StreamedImage Open(string name, Stream image, ChannelChoice? channels = null)
    {
        var source = new GuardedSource(image);
        var header = OpenImage(name, source, channels, out var info, tiffAccess: Enums.Access.Random);
        try
        {
            CheckDecodable(name, header, info);
            return new StreamedImage(name, header, info, source);
        }
        catch
        {
            header.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Decodes an image into a planar tensor with <see cref="InputSpec.Channels"/> channels: alpha is
    /// dropped, gray is replicated for a three-channel model, colour becomes BT.601 luma for a one-channel
    /// model only when <see cref="InputSpec.AllowColorToGray"/> is set. Samples are scaled to [0, 1] by
    /// the sample type's maximum (float TIFF samples are taken as already scaled), then normalised per
    /// channel as <see cref="InputSpec.Normalization"/> says: by the card's mean and std, or by the
    /// image's own percentiles or mean and deviation, measured in a first pass over its pixels.
    /// </summary>
    /// <param name="name">The image's name, for errors.</param>
    /// <param name="bytes">The encoded image.</param>
    /// <param name="spec">What the model takes.</param>
    public ImageTensor Decode(string name, byte[] bytes, InputSpec spec)
    {
        ValidateSpec(spec);
        using var image = OpenImage(name, bytes, spec.Choice, out var info);
        CheckDecodable(name, image, info);
        var height = image.Height;

        var channels = spec.Channels;
        var planeLength = (long)image.Width * height;
        if (planeLength * channels > Array.MaxLength)
        {
            throw Rejected(name, Invariant($"{image.Width}×{height} × {channels} channels is too large for one tensor"));
        }

        var data = new float[planeLength * channels];
        var width = image.Width;
        var row = new float[width * info.Bands];
        using var pixels = RenderedPixels.Render(name, image, Options.DecodeTimeout);
        IntensityStatistics? statistics = null;
        if (spec.Normalization.PerImage)
        {
            statistics = new IntensityStatistics(channels);
            var measure = TensorConversion.For(name, info, spec, null);
            for (var y = 0; y < height; y++)
            {
                pixels.ReadRow(y, row);
                measure.Measure(row, statistics);
            }
        }

        var conversion = TensorConversion.For(name, info, spec, statistics is null ? null : spec.Normalization.For(statistics));
        var peak = 0f;
        for (var y = 0; y < height; y++)
        {
            pixels.ReadRow(y, row);
            peak = MathF.Max(peak, conversion.Row(row, data, planeLength, (long)y * width));
        }

        return new ImageTensor(channels, height, width, data) { Faint = !spec.Normalization.PerImage && IsFaint(image.Format, peak) };
    }

    /// <summary>
    /// Whether integer samples reach at most an eighth of their type's range (a 12-bit image in a 16-bit
    /// file, say): a fixed normalisation then shows the model a nearly black image.
    /// </summary>
    internal static bool IsFaint(Enums.BandFormat format, float peak) =>
        format is Enums.BandFormat.Uchar or Enums.BandFormat.Ushort && peak <= 1f / 8;

    /// <summary>
    /// Decodes an image to 8-bit RGB for people to look at (overlays): gray is replicated, alpha is
    /// dropped, 16-bit samples are rounded to 8 bits, and an image with more than three colour bands
    /// shows its first three.
    /// </summary>
    /// <param name="channels">The channels the job chose (<c>--channels</c>), so the preview shows what the model saw; null shows the image as stored.</param>
    public Rgb8Image DecodePreview(string name, byte[] bytes, ChannelChoice? channels = null)
    {
        using var image = OpenImage(name, bytes, channels, out var info);
        CheckDecodable(name, image, info);
        if (info.PixelCount * 3 > Array.MaxLength)
        {
            throw Rejected(name, Invariant($"{info.Width}×{info.Height} is too large for a preview"));
        }

        return ToRgb8(name, image, info);
    }

    /// <summary>
    /// Decodes a preview, as <see cref="DecodePreview"/> does, scaled down to at most
    /// <paramref name="longestSide"/> pixels on its longest side (never enlarged). The image is reduced
    /// while it streams in, and a JPEG decodes at a fraction of its size, so a very large image needs
    /// the memory of the small one only.
    /// </summary>
    /// <param name="name">The image's name, for errors.</param>
    /// <param name="image">The encoded image, seekable; read from its start.</param>
    /// <param name="longestSide">The thumbnail's longest side in pixels.</param>
    /// <param name="channels">The channels the job chose, as <see cref="DecodePreview"/> takes them.</param>
    public Rgb8Image DecodePreviewThumbnail(string name, Stream image, int longestSide, ChannelChoice? channels = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(longestSide);
        var source = new GuardedSource(image);
        ImageInfo info;
        using (var header = OpenImage(name, source, channels, out info))
        {
            CheckDecodable(name, header, info);
        }

        var (width, height) = ThumbnailSize(info.Width, info.Height, longestSide);

        // libjpeg decodes at 1/2, 1/4 or 1/8 directly; the rest of the reduction is libvips'.
        var shrink = info.Format == ImageFormat.Jpeg ? JpegShrink(info.Width, width) : 1;
        using var loaded = OpenImage(name, source, channels, out _, shrink);
        try
        {
            // Stored orientation, as everywhere else here, so the thumbnail lines up with its mask.
            using var small = loaded.ThumbnailImage(width, height, Enums.Size.Force, noRotate: true);
            return ToRgb8(name, small, Describe(small, info.Format));
        }
        catch (VipsException e)
        {
            throw source.Explain(name, e);
        }
    }

    /// <summary>
    /// The size of an image scaled down to at most <paramref name="longestSide"/> pixels on its longest
    /// side, keeping its aspect ratio; an image already that small keeps its size.
    /// </summary>
    private static (int Width, int Height) ThumbnailSize(int width, int height, int longestSide)
    {
        var scale = Math.Min(1.0, (double)longestSide / Math.Max(width, height));
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    /// <summary>
    /// Decodes a ground-truth mask to 8-bit gray, as the seed's <c>cv2.imread(…, IMREAD_GRAYSCALE)</c>
    /// does: alpha is dropped, colour becomes rounded BT.601 luma, 16-bit samples are rounded to 8 bits.
    /// Binary masks then hold 0…255; multi-class masks hold class indices.
    /// </summary>
    /// <param name="name">The mask's name, for errors.</param>
    /// <param name="bytes">The encoded mask.</param>
    public Gray8Image DecodeGray8(string name, byte[] bytes)
    {
        using var image = OpenHeader(name, bytes, out var format);
        var info = Describe(image, format);
        CheckMask(name, image, info);
        return ToGray8(name, image, info);
    }

    /// <summary>
    /// Decodes a mask, as <see cref="DecodeGray8"/> does, scaled to exactly <paramref name="width"/> ×
    /// <paramref name="height"/> by nearest neighbour, so labels are never blended into values no class
    /// has. It is reduced while it streams in, like <see cref="DecodePreviewThumbnail"/>.
    /// </summary>
    public Gray8Image DecodeGray8Thumbnail(string name, Stream mask, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var source = new GuardedSource(mask);
        using var whole = OpenHeader(name, source, out var format);
        var info = Describe(whole, format);
        CheckMask(name, whole, info);
        try
        {
            using var resized = whole.Resize((double)width / info.Width, Enums.Kernel.Nearest, vscale: (double)height / info.Height);

            // Resize rounds its output size; the caller's size is the one its thumbnail has.
            using var exact = resized.Width == width && resized.Height == height ? null : resized.Embed(0, 0, width, height, Enums.Extend.Copy);
            return ToGray8(name, exact ?? resized, info);
        }
        catch (VipsException e)
        {
            throw source.Explain(name, e);
        }
    }

    /// <summary>
    /// An instance label image reduced to <paramref name="width"/> × <paramref name="height"/> by nearest
    /// sample, so every pixel keeps an object's id (0 background) rather than a blend of two; row-major.
    /// </summary>
    public int[] DecodeLabelsThumbnail(string name, Stream labels, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var source = new GuardedSource(labels);
        using var whole = OpenHeader(name, source, out var format);
        var info = Describe(whole, format);
        CheckMask(name, whole, info);
        try
        {
            using var first = whole.ExtractBand(0);
            using var resized = first.Resize((double)width / info.Width, Enums.Kernel.Nearest, vscale: (double)height / info.Height);
            using var exact = resized.Width == width && resized.Height == height ? null : resized.Embed(0, 0, width, height, Enums.Extend.Copy);
            using var ids = (exact ?? resized).Cast(Enums.BandFormat.Int);
            return ids.WriteToMemory<int>();
        }
        catch (VipsException e)
        {
            throw source.Explain(name, e);
        }
    }

    /// <summary>8-bit RGB from a decodable image: gray replicated, alpha and bands past the third dropped.</summary>
    private Rgb8Image ToRgb8(string name, Image image, ImageInfo info)
    {
        var width = image.Width;
        var height = image.Height;
        var bands = info.Bands;
        var gray = info.ColorBands < 3;
        var rgb = new byte[(long)width * height * 3];
        var row = new float[width * bands];
        using var pixels = RenderedPixels.Render(name, image, Options.DecodeTimeout);
        for (var y = 0; y < height; y++)
        {
            pixels.ReadRow(y, row);
            RgbRow(row, bands, gray, rgb.AsSpan(y * width * 3, width * 3));
        }

        return new Rgb8Image(width, height, rgb);
    }

    /// <summary>8-bit gray from a mask that passed <see cref="CheckMask"/>: colour becomes rounded BT.601 luma.</summary>
    private Gray8Image ToGray8(string name, Image image, ImageInfo info)
    {
        var width = image.Width;
        var height = image.Height;
        var bands = info.Bands;
        var toGray = info.ColorBands == 3;
        var gray = new byte[(long)width * height];
        var row = new float[width * bands];
        using var pixels = RenderedPixels.Render(name, image, Options.DecodeTimeout);
        for (var y = 0; y < height; y++)
        {
            pixels.ReadRow(y, row);
            GrayRow(row, bands, toGray, gray.AsSpan(y * width, width));
        }

        return new Gray8Image(width, height, gray);
    }

    /// <summary>One row of unit samples as 8-bit RGB: gray replicated, alpha and bands past the third dropped.</summary>
    internal static void RgbRow(ReadOnlySpan<float> row, int bands, bool gray, Span<byte> destination)
    {
        for (var x = 0; x < destination.Length / 3; x++)
        {
            var p = x * bands;
            destination[x * 3] = ToByte(row[p]);
            destination[(x * 3) + 1] = ToByte(row[gray ? p : p + 1]);
            destination[(x * 3) + 2] = ToByte(row[gray ? p : p + 2]);
        }
    }

    /// <summary>One row of unit samples as 8-bit gray: colour becomes rounded BT.601 luma, alpha is dropped.</summary>
    internal static void GrayRow(ReadOnlySpan<float> row, int bands, bool toGray, Span<byte> destination)
    {
        for (var x = 0; x < destination.Length; x++)
        {
            var p = x * bands;
            destination[x] = ToByte(toGray
                ? (LumaRed * row[p]) + (LumaGreen * row[p + 1]) + (LumaBlue * row[p + 2])
                : row[p]);
        }
    }

    private void CheckMask(string name, Image image, ImageInfo info)
    {
        CheckDecodable(name, image, info);
        if (info.ColorBands is not (1 or 3))
        {
            throw Rejected(name, Invariant($"{info.ColorBands} channels, but a mask must be gray"));
        }
    }

    /// <summary>The largest factor libjpeg can shrink by while loading that still leaves at least <paramref name="target"/> pixels across.</summary>
    private static int JpegShrink(int width, int target)
    {
        var shrink = 1;
        while (shrink < 8 && width / (shrink * 2) >= target)
        {
            shrink *= 2;
        }

        return shrink;
    }

    private static byte ToByte(float unit) => (byte)Math.Clamp(MathF.Round(unit * 255f), 0f, 255f);

    internal static void ValidateSpec(InputSpec spec)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Channels);
        var normalization = spec.Normalization;
        if (normalization.Mean.Length != spec.Channels || normalization.Std.Length != spec.Channels)
        {
            throw new ArgumentException("The normalisation must have one mean and one std per channel.", nameof(spec));
        }

        if (Array.Exists(normalization.Std, s => s == 0f || !float.IsFinite(s)))
        {
            throw new ArgumentException("Every normalisation std must be finite and non-zero.", nameof(spec));
        }

        if (normalization.Problem() is { } problem)
        {
            throw new ArgumentException($"The normalisation cannot be used: {problem}.", nameof(spec));
        }
    }

    /// <summary>Opens the image lazily: libvips reads the header here and decodes pixels only when rendered.</summary>
    /// <param name="jpegShrink">For a JPEG, decode at 1/2, 1/4 or 1/8 of its size (1: full size).</param>
    private static Image OpenHeader(string name, byte[] bytes, out ImageFormat format, int jpegShrink = 1) =>
        Load(name, bytes, out format, f => f switch
        {
            ImageFormat.Png => Image.PngloadBuffer(bytes, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error),
            ImageFormat.Jpeg => Image.JpegloadBuffer(bytes, shrink: jpegShrink, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error),
            _ => Image.TiffloadBuffer(bytes, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error),
        }, Corrupt);

    /// <summary>As <see cref="OpenHeader(string, byte[], out ImageFormat, int)"/>, reading from a seekable stream (from its start) as pixels are asked for.</summary>
    /// <param name="tiffAccess">
    /// How a TIFF is read: in sequence, or by region (libvips then reads only the tiles asked for, while
    /// a stripped TIFF is still read in sequence). PNG and JPEG can only be read in sequence.
    /// </param>
    private static Image OpenHeader(string name, GuardedSource stream, out ImageFormat format, int jpegShrink = 1, Enums.Access tiffAccess = Enums.Access.Sequential)
    {
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The image stream must be seekable.", nameof(stream));
        }

        Span<byte> start = stackalloc byte[PngSignature.Length];
        stream.Position = 0;
        var read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        return Load(name, start[..read], out format, f => f switch
        {
            ImageFormat.Png => Image.PngloadStream(stream, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error),
            ImageFormat.Jpeg => Image.JpegloadStream(stream, shrink: jpegShrink, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error),
            _ => Image.TiffloadStream(stream, access: tiffAccess, failOn: Enums.FailOn.Error),
        }, stream.Explain);
    }

    /// <summary>
    /// The image a name refers to, with the chosen channels as its bands: a plane of the file when the
    /// name is a plane's (<see cref="ImagePlane"/>), else the file's first; its header read, its pixels not.
    /// </summary>
    private static Image OpenImage(string name, byte[] bytes, ChannelChoice? choice, out ImageInfo info) =>
        Planes(name, OpenHeader(name, bytes, out var format), format, choice, page => LoadPage(name, bytes, page), out info);

    /// <summary>As <see cref="OpenImage(string, byte[], ChannelChoice?, out ImageInfo)"/>, reading from a seekable stream.</summary>
    private static Image OpenImage(string name, GuardedSource source, ChannelChoice? choice, out ImageInfo info, int jpegShrink = 1, Enums.Access tiffAccess = Enums.Access.Sequential) =>
        Planes(name, OpenHeader(name, source, out var format, jpegShrink, tiffAccess), format, choice, page => LoadPage(name, source, page, tiffAccess), out info);

    /// <summary>
    /// The names of the planes of a file with several (<see cref="ImagePlane.Plane"/>: <c>p2</c>, <c>z1</c>,
    /// <c>z1.t0</c>…), every Z of each T; empty when the file is one image. Reads headers only; the stream
    /// is left at its start.
    /// </summary>
    public static IReadOnlyList<string> ReadPlanes(string name, Stream image)
    {
        var source = new GuardedSource(image);
        using var header = OpenHeader(name, source, out var format);
        var planes = format == ImageFormat.Tiff ? TiffPlanes.Read(name, header, format).List(page => LoadPage(name, source, page, Enums.Access.Sequential)) : [];
        image.Position = 0;
        return planes;
    }

    /// <summary>Takes the plane and channels out of a file whose first page's header is read; disposes that header when it is not the result.</summary>
    private static Image Planes(string name, Image header, ImageFormat format, ChannelChoice? choice, Func<int, Image> openPage, out ImageInfo info)
    {
        try
        {
            var plane = ImagePlane.Parse(name);
            if (plane is null && choice is null && format != ImageFormat.Tiff)
            {
                info = Describe(header, format);
                return header;
            }

            var planes = TiffPlanes.Read(name, header, format);
            var image = planes.Open(name, plane, choice, openPage, out var asStored);
            var described = Describe(image, format);
            info = described with
            {
                // Channels taken from pages or chosen are channels, whatever their count; alpha is a stored page's.
                HasAlpha = asStored && described.HasAlpha,
                ChannelNames = choice is null ? planes.ChannelNames : [],
            };
            if (image != header)
            {
                header.Dispose();
            }

            return image;
        }
        catch
        {
            header.Dispose();
            throw;
        }
    }

    /// <summary>Page <paramref name="page"/> of a TIFF, header read.</summary>
    private static Image LoadPage(string name, byte[] bytes, int page)
    {
        try
        {
            return Image.TiffloadBuffer(bytes, page: page, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
        }
        catch (VipsException e)
        {
            throw Corrupt(name, e);
        }
    }

    /// <summary>Page <paramref name="page"/> of a TIFF in a stream, header read, with a reader of its own so pages can be read side by side.</summary>
    /// <param name="access">As the first page is read: in sequence, or by region for a band.</param>
    private static Image LoadPage(string name, GuardedSource source, int page, Enums.Access access)
    {
        try
        {
            return Image.TiffloadStream(new StreamCursor(source), page: page, access: access, failOn: Enums.FailOn.Error);
        }
        catch (VipsException e)
        {
            throw source.Explain(name, e);
        }
    }

    /// <summary>
    /// Recognises the format from the leading bytes and loads with that format's own loader, so crafted
    /// bytes can never reach any other libvips loader. The loaders are asked for FailOn.Error, which makes
    /// truncated data throw instead of yielding a partly gray image.
    /// </summary>
    /// <param name="name">The image's name, for errors.</param>
    /// <param name="start">Its first bytes.</param>
    /// <param name="format">The format recognised.</param>
    /// <param name="load">Opens the image with the loader for a format.</param>
    /// <param name="explain">The exception for a libvips error.</param>
    private static Image Load(string name, ReadOnlySpan<byte> start, out ImageFormat format, Func<ImageFormat, Image> load, Func<string, VipsException, Exception> explain)
    {
        if (start.IsEmpty)
        {
            throw Rejected(name, "the file is empty");
        }

        format = Sniff(start) ?? throw Rejected(name, "not a PNG, JPEG or TIFF image");
        try
        {
            return load(format);
        }
        catch (VipsException e)
        {
            throw explain(name, e);
        }
    }

    private static ImageFormat? Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(PngSignature))
        {
            return ImageFormat.Png;
        }

        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        {
            return ImageFormat.Jpeg;
        }

        // Classic TIFF has version 42, BigTIFF 43, in either byte order.
        if (bytes.Length >= 4
            && ((bytes[0] == 'I' && bytes[1] == 'I' && bytes[3] == 0 && bytes[2] is 42 or 43)
                || (bytes[0] == 'M' && bytes[1] == 'M' && bytes[2] == 0 && bytes[3] is 42 or 43)))
        {
            return ImageFormat.Tiff;
        }

        return null;
    }

    private static ImageInfo Describe(Image image, ImageFormat format)
    {
        var bands = image.Bands;
        // libvips counts any band past the colour bands as alpha, which would make a five-band
        // multispectral TIFF look like RGBA + 1; only the two standard layouts carry alpha here.
        var hasAlpha = bands == 2 || (bands == 4 && image.Interpretation != Enums.Interpretation.Cmyk);
        var bits = image.Contains("bits-per-sample") ? (int)image.Get("bits-per-sample") : BitsOf(image.Format);
        return new ImageInfo(format, image.Width, image.Height, bands, bits, hasAlpha);
    }

    private static int BitsOf(Enums.BandFormat format) => format switch
    {
        Enums.BandFormat.Uchar or Enums.BandFormat.Char => 8,
        Enums.BandFormat.Ushort or Enums.BandFormat.Short => 16,
        Enums.BandFormat.Double or Enums.BandFormat.Complex => 64,
        Enums.BandFormat.Dpcomplex => 128,
        _ => 32,
    };

    /// <summary>Everything that can be refused from the header alone, checked before any pixel is decoded.</summary>
    private void CheckDecodable(string name, Image image, ImageInfo info)
    {
        if (info.PixelCount > Options.MaxPixels)
        {
            throw Rejected(name, Invariant(
                $"{info.Width}×{info.Height} = {FormatPixels(info.PixelCount)} exceeds the limit of {FormatPixels(Options.MaxPixels)}"));
        }

        // Every output holds at least one value per pixel in one array, whatever MaxPixels allows.
        if (info.PixelCount > Array.MaxLength)
        {
            throw Rejected(name, Invariant($"{info.Width}×{info.Height} is too large to decode into memory"));
        }

        if (image.Interpretation == Enums.Interpretation.Cmyk)
        {
            throw Rejected(name, "CMYK images are not supported; convert it to RGB");
        }

        if (image.Format is not (Enums.BandFormat.Uchar or Enums.BandFormat.Ushort or Enums.BandFormat.Float or Enums.BandFormat.Double))
        {
            throw Rejected(name, Invariant($"{info.BitsPerSample}-bit {image.Format} samples are not supported"));
        }
    }

    private static string FormatPixels(long count)
    {
        var (value, unit) = count switch
        {
            >= 1_000_000_000 => (count / 1e9, "gigapixel"),
            >= 1_000_000 => (count / 1e6, "megapixel"),
            _ => ((double)count, "pixel"),
        };
        var number = value.ToString("0.##", CultureInfo.InvariantCulture);
        return number == "1" ? $"{number} {unit}" : $"{number} {unit}s";
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static ImageRejectedException Rejected(string name, string reason) => new(name, reason);

    internal static ImageRejectedException Corrupt(string name, VipsException e)
    {
        // libvips reports a stack of lines; the generic "unable to call …" ones say nothing to a user.
        var details = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith("unable to", StringComparison.Ordinal))
            .ToArray();
        var summary = details.Length > 0 ? string.Join("; ", details) : e.Message.ReplaceLineEndings(" ").Trim();
        return new ImageRejectedException(name, $"truncated or corrupt image data ({summary})", e);
    }

    /// <summary>A fully decoded raster in native memory, read back one row at a time as [0, 1] samples.</summary>
    private sealed unsafe class RenderedPixels : IDisposable
    {
        private readonly nint data;
        private readonly int rowBytes;
        private readonly Enums.BandFormat format;

        private RenderedPixels(nint data, int rowBytes, Enums.BandFormat format)
        {
            this.data = data;
            this.rowBytes = rowBytes;
            this.format = format;
        }

        /// <summary>Decodes every pixel; this is where truncated or corrupt data, and a decode that takes too long, surface.</summary>
        public static RenderedPixels Render(string name, Image image, TimeSpan timeout)
        {
            var rowBytes = checked(image.Width * image.Bands * SampleBytes(image.Format));
            nint data;
            var clock = Stopwatch.StartNew();
            using var limit = new CancellationTokenSource(timeout);

            // libvips checks the token as it evaluates and stops the pipeline once it is cancelled.
            image.SetProgress(NoProgress.Instance, limit.Token);
            try
            {
                data = image.WriteToMemory(out _);
            }
            catch (VipsException) when (limit.IsCancellationRequested)
            {
                throw TooSlow(name, timeout);
            }
            catch (VipsException e)
            {
                throw Corrupt(name, e);
            }

            // libvips looks at the token between chunks of work, and the token's timer may fire late on
            // a busy machine; a decode that ended past the limit is refused all the same, so the limit
            // means what it says.
            if (clock.Elapsed > timeout)
            {
                global::NetVips.NetVips.Free(data);
                throw TooSlow(name, timeout);
            }

            return new RenderedPixels(data, rowBytes, image.Format);
        }

        public void ReadRow(int y, Span<float> destination) =>
            ToUnit(new ReadOnlySpan<byte>((byte*)data + ((long)y * rowBytes), rowBytes), format, destination);

        public void Dispose() => global::NetVips.NetVips.Free(data);
    }

    private static ImageRejectedException TooSlow(string name, TimeSpan timeout) =>
        Rejected(name, Invariant($"decoding took longer than the limit of {timeout.TotalSeconds:0.###} s"));

    /// <summary>Progress nobody watches: the decode's time limit needs libvips' progress reports, not their figures.</summary>
    private sealed class NoProgress : IProgress<int>
    {
        public static readonly NoProgress Instance = new();

        public void Report(int value)
        {
        }
    }

    /// <summary>Bytes per sample of a format <see cref="CheckDecodable"/> lets through.</summary>
    internal static int SampleBytes(Enums.BandFormat format) => format switch
    {
        Enums.BandFormat.Uchar => 1,
        Enums.BandFormat.Ushort => 2,
        Enums.BandFormat.Float => 4,
        _ => 8,
    };

    /// <summary>Raw samples as [0, 1] floats: integers scaled by their type's maximum, floats taken as they are.</summary>
    internal static void ToUnit(ReadOnlySpan<byte> bytes, Enums.BandFormat format, Span<float> destination)
    {
        switch (format)
        {
            case Enums.BandFormat.Uchar:
                for (var i = 0; i < bytes.Length; i++)
                {
                    destination[i] = bytes[i] / 255f;
                }

                break;
            case Enums.BandFormat.Ushort:
                var shorts = MemoryMarshal.Cast<byte, ushort>(bytes);
                for (var i = 0; i < shorts.Length; i++)
                {
                    destination[i] = shorts[i] / 65535f;
                }

                break;
            case Enums.BandFormat.Float:
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            default:
                var doubles = MemoryMarshal.Cast<byte, double>(bytes);
                for (var i = 0; i < doubles.Length; i++)
                {
                    destination[i] = (float)doubles[i];
                }

                break;
        }
    }
}
