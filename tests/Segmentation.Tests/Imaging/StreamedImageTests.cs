using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

/// <summary>
/// An image read row by row from a stream, as a band of a very large image is, must give exactly the
/// values the whole-image decoder gives, for every format and sample type, and fail as clearly.
/// </summary>
public sealed class StreamedImageTests
{
    private static readonly InputSpec Rgb = new(3, AllowColorToGray: false, InputNormalization.ImageNet);
    private static readonly InputSpec Gray = new(1, AllowColorToGray: true, new InputNormalization([0.5f], [0.25f]));

    private readonly ImageDecoder decoder = new(new ImageDecoderOptions());

    public static TheoryData<string> Formats => ["png", "png16", "tiff", "tiff16", "jpeg", "gray-png"];

    [Theory]
    [MemberData(nameof(Formats))]
    public void RowsReadInStepsEqualTheWholeDecode(string format)
    {
        const int width = 37, height = 29;
        var bytes = Encode(format, width, height);
        var spec = format == "gray-png" ? Gray : Rgb;
        var whole = decoder.Decode("a", bytes, spec);

        using var image = decoder.Open("a", new MemoryStream(bytes));
        Assert.Equal((width, height), (image.Width, image.Height));

        // A window of 8 rows filled 5 rows at a time from row 3, as bands slide down an image.
        var window = new ImageTensor(spec.Channels, 8, width, new float[spec.Channels * 8 * width]);
        for (var top = 3; top + 5 <= height; top += 5)
        {
            image.ReadTensorRows(spec, top, 5, window, 2);
            for (var c = 0; c < spec.Channels; c++)
            {
                for (var r = 0; r < 5; r++)
                {
                    var expected = whole.Data.AsSpan((((c * height) + top + r) * width), width).ToArray();
                    var actual = window.Data.AsSpan((((c * 8) + 2 + r) * width), width).ToArray();
                    Assert.Equal(expected, actual);
                }
            }
        }
    }

    [Fact]
    public void RgbAndGrayRowsEqualThePreviewAndTheMaskDecodes()
    {
        const int width = 20, height = 9;
        var png = TestImages.Png(TestImages.Ramp(width * height * 3, seed: 2), width, height, 3);
        var preview = decoder.DecodePreview("a.png", png);
        var gray = decoder.DecodeGray8("a.png", png);

        using (var rgb = decoder.Open("a.png", new MemoryStream(png)))
        {
            var rows = new byte[width * 3 * height];
            rgb.ReadRgbRows(0, height, rows);
            Assert.Equal(preview.Pixels, rows);
        }

        using var mask = decoder.Open("a.png", new MemoryStream(png));
        var first = new byte[width * 4];
        var last = new byte[width * 5];
        mask.ReadGrayRows(0, 4, first);
        mask.ReadGrayRows(4, 5, last);
        Assert.Equal(gray.Pixels, first.Concat(last));
    }

    [Fact]
    public void ABandLowDownATiledTiffReadsAboutItsShareOfTheFile()
    {
        // Noise compresses little, so each tile carries its share of the file's bytes. (libvips reads a
        // stripped TIFF in sequence only, so only tiled ones, as whole-slide images are, are read by region.)
        const int width = 1024, height = 2048;
        var samples = new byte[width * height];
        new Random(7).NextBytes(samples);
        using var raster = TestImages.Raster(samples, width, height, 1);
        var tiff = raster.TiffsaveBuffer(tile: true, tileWidth: 128, tileHeight: 128, compression: NetVips.Enums.ForeignTiffCompression.Deflate);
        var whole = decoder.Decode("slide.tif", tiff, Gray);

        // The last eighth of the rows, read as a band's window is.
        var counting = new CountingStream(new MemoryStream(tiff));
        using (var image = decoder.Open("slide.tif", counting))
        {
            const int top = height - (height / 8), count = height / 8;
            var window = new ImageTensor(1, count, width, new float[count * width]);
            image.ReadTensorRows(Gray, top, 100, window, 0);
            image.ReadTensorRows(Gray, top + 100, count - 100, window, 100);
            Assert.Equal(whole.Data.AsSpan(top * width, count * width).ToArray(), window.Data);
        }

        // An eighth of the rows, plus the header and the tile index: far from the whole file.
        Assert.InRange(counting.BytesRead, tiff.Length / 8, tiff.Length / 5);
    }

    [Fact]
    public void RowsAreReadForwardsOnly()
    {
        using var image = decoder.Open("a.png", new MemoryStream(Encode("png", 10, 10)));
        var window = new ImageTensor(3, 4, 10, new float[3 * 4 * 10]);
        image.ReadTensorRows(Rgb, 4, 4, window, 0);

        Assert.Throws<ArgumentOutOfRangeException>(() => image.ReadTensorRows(Rgb, 2, 1, window, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.ReadTensorRows(Rgb, 9, 2, window, 0));
    }

    [Fact]
    public void ATruncatedImageFailsNamingItWhenItsMissingRowsAreReached()
    {
        var png = Encode("png", 64, 64);
        using var image = decoder.Open("cut.png", new MemoryStream(png[..(png.Length / 2)]));
        var window = new ImageTensor(3, 64, 64, new float[3 * 64 * 64]);

        var error = Assert.Throws<ImageRejectedException>(() => image.ReadTensorRows(Rgb, 0, 64, window, 0));

        Assert.Equal("cut.png", error.ImageName);
        Assert.Contains("truncated or corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStreamThatFailsMidImageIsReportedAsTheStreamsFailureNotAsADamagedImage()
    {
        var png = Encode("png", 256, 256);
        var window = new ImageTensor(3, 256, 256, new float[3 * 256 * 256]);

        var error = Assert.Throws<IOException>(() =>
        {
            using var image = decoder.Open("far.png", new FailingAfter(new MemoryStream(png), png.Length / 3));
            image.ReadTensorRows(Rgb, 0, 256, window, 0);
        });

        Assert.Contains("Reading far.png failed: the store stopped answering", error.Message, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public void TheHeaderIsCheckedBeforeAnyRowIsDecoded()
    {
        var small = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 99 });

        Assert.Contains("exceeds the limit", Assert.Throws<ImageRejectedException>(() => small.Open("a.png", new MemoryStream(Encode("png", 10, 10)))).Message, StringComparison.Ordinal);
        Assert.Contains("not a PNG, JPEG or TIFF", Assert.Throws<ImageRejectedException>(() => decoder.Open("a.txt", new MemoryStream("hello"u8.ToArray()))).Message, StringComparison.Ordinal);
        Assert.Contains("empty", Assert.Throws<ImageRejectedException>(() => decoder.Open("e.png", new MemoryStream())).Message, StringComparison.Ordinal);
        Assert.Equal((10, 10), (ImageDecoder.ReadInfo("a.png", new MemoryStream(Encode("png", 10, 10))).Width, 10));
    }

    private static byte[] Encode(string format, int width, int height) => format switch
    {
        "png" => TestImages.Png(TestImages.Ramp(width * height * 3, seed: 1), width, height, 3),
        "png16" => TestImages.Png16(TestImages.Ramp16(width * height * 3), width, height, 3),
        "tiff" => TestImages.Tiff(TestImages.Ramp(width * height * 3, seed: 1), width, height, 3),
        "tiff16" => TestImages.Tiff16(TestImages.Ramp16(width * height * 3), width, height, 3),
        "jpeg" => TestImages.Jpeg(TestImages.Ramp(width * height * 3, seed: 1), width, height, 3),
        _ => TestImages.Png(TestImages.Ramp(width * height, seed: 1), width, height, 1),
    };

    /// <summary>A stream whose reads fail past a point, as a blob read does when the store goes away.</summary>
    private sealed class FailingAfter(Stream inner, long failAt) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            inner.Position >= failAt ? throw new HttpRequestException("the store stopped answering") : inner.Read(buffer, offset, (int)Math.Min(count, failAt - inner.Position));

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
