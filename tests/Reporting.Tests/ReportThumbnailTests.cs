using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Tests.Imaging;

namespace UNetPP.Cluster.Reporting.Tests;

public sealed class ReportThumbnailTests
{
    private readonly ImageDecoder decoder = new(new ImageDecoderOptions());

    private static byte Tint(byte under, byte colour) => (byte)Math.Round((under * 0.55) + (colour * 0.45));

    /// <summary>A gray image of one value, as 8-bit RGB PNG.</summary>
    private static byte[] Flat(int width, int height, byte value) =>
        TestImages.Png(Enumerable.Repeat(value, width * height * 3).ToArray(), width, height, 3);

    /// <summary>A mask with <paramref name="label"/> in the columns from <paramref name="from"/> on.</summary>
    private static byte[] MaskFrom(int width, int height, int from, byte label = 255, byte left = 0)
    {
        var labels = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            labels.AsSpan(y * width, width)[..from].Fill(left);
            labels.AsSpan(y * width, width)[from..].Fill(label);
        }

        return TestImages.Png(labels, width, height, 1);
    }

    private (int Width, int Height, Func<int, int, byte[]> Pixel) Decode(byte[] png)
    {
        var image = decoder.DecodePreview("thumbnail.png", png);
        return (image.Width, image.Height, (x, y) => image.Pixels.AsSpan(((y * image.Width) + x) * 3, 3).ToArray());
    }

    [Theory]
    [InlineData(600, 300, 192, 96)]
    [InlineData(300, 600, 96, 192)]
    [InlineData(1000, 999, 192, 192)]
    [InlineData(40, 36, 40, 36)]
    public void TheThumbnailKeepsTheAspectWithAtMost192PixelsOnTheLongestSide(int width, int height, int expectedWidth, int expectedHeight)
    {
        var thumbnail = new ReportThumbnail(decoder).Make("a.png", new MemoryStream(Flat(width, height, 100)), "masks/a.png", new MemoryStream(MaskFrom(width, height, width / 2)));

        var (w, h, _) = Decode(thumbnail);
        Assert.Equal((expectedWidth, expectedHeight), (w, h));
    }

    [Fact]
    public void TheMaskColourShowsWhereTheMaskIsSetAndTheImageElsewhere()
    {
        var thumbnail = new ReportThumbnail(decoder).Make("a.png", new MemoryStream(Flat(600, 300, 100)), "masks/a.png", new MemoryStream(MaskFrom(600, 300, 300)));

        var (_, _, pixel) = Decode(thumbnail);
        Assert.Equal([100, 100, 100], pixel(40, 48));
        Assert.Equal([Tint(100, 255), Tint(100, 255), Tint(100, 0)], pixel(150, 48));
        Assert.Equal([255, 255, 0], pixel(191, 48));
    }

    [Theory]
    [InlineData(MaskFormat.Tiff)]
    [InlineData(MaskFormat.OmeTiff)]
    public void ATiffOrOmeTiffMaskGivesTheThumbnailOfThePngMask(MaskFormat format)
    {
        // Wide enough for the OME-TIFF to have smaller levels beside the full-resolution one.
        var labels = new byte[2500 * 300];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = (byte)(i % 2500 / 250 % 2 == 0 ? 255 : 0);
        }

        var mask = new SegmentationMask(2500, 300, 1, labels);
        var image = Flat(2500, 300, 100);
        var thumbnails = new ReportThumbnail(decoder);

        var fromPng = thumbnails.Make("a.png", new MemoryStream(image), "masks/a.png", new MemoryStream(MaskWriter.EncodeMaskPng(mask)));
        var fromTiff = thumbnails.Make("a.png", new MemoryStream(image), "masks/a.tif", new MemoryStream(new MaskEncoder(format).EncodeMask(mask, null)));

        Assert.Equal(fromPng, fromTiff);
    }

    [Fact]
    public void ALargeJpegIsShrunkOnLoadToTheSameThumbnail()
    {
        using var gray = (Image.Black(4000, 3000) + 100).Cast(Enums.BandFormat.Uchar);
        var jpeg = gray.JpegsaveBuffer(q: 95);

        var thumbnail = new ReportThumbnail(decoder).Make("big.jpg", new MemoryStream(jpeg), "masks/big.png", new MemoryStream(MaskFrom(4000, 3000, 2000)));

        var (w, h, pixel) = Decode(thumbnail);
        Assert.Equal((192, 144), (w, h));
        Assert.All(pixel(40, 72), v => Assert.InRange(v, 99, 101));
        Assert.Equal([Tint(100, 255), Tint(100, 255), Tint(100, 0)], pixel(150, 72));
    }

    [Theory]
    [InlineData("deep.png")]
    [InlineData("deep.tif")]
    public void SixteenBitImagesAreShownInEightBits(string name)
    {
        var samples = Enumerable.Repeat((ushort)(128 * 257), 400 * 200).ToArray();
        var image = name.EndsWith(".png", StringComparison.Ordinal) ? TestImages.Png16(samples, 400, 200, 1) : TestImages.Tiff16(samples, 400, 200, 1);

        var thumbnail = new ReportThumbnail(decoder).Make(name, new MemoryStream(image), "masks/deep.png", new MemoryStream(MaskFrom(400, 200, 400)));

        var (_, _, pixel) = Decode(thumbnail);
        Assert.Equal([128, 128, 128], pixel(10, 10));
    }

    [Fact]
    public void EachClassOfAMultiClassMaskHasItsOwnColour()
    {
        var thumbnail = new ReportThumbnail(decoder).Make("a.png", new MemoryStream(Flat(800, 400, 0)), "masks/a.png", new MemoryStream(MaskFrom(800, 400, 400, label: 2, left: 1)));

        var (_, _, pixel) = Decode(thumbnail);
        var (r1, g1, b1) = MaskWriter.ColorOf(1);
        var (r2, g2, b2) = MaskWriter.ColorOf(2);
        Assert.Equal([Tint(0, r1), Tint(0, g1), Tint(0, b1)], pixel(48, 48));
        Assert.Equal([Tint(0, r2), Tint(0, g2), Tint(0, b2)], pixel(144, 48));
    }

    [Fact]
    public void ScalingAMaskDownNeverMakesLabelsNoClassHas()
    {
        // Labels at random: any averaging filter would give values between them.
        var random = new Random(3);
        var labels = Enumerable.Range(0, 1000 * 500).Select(_ => (byte)(random.Next(3) switch { 0 => 0, 1 => 7, _ => 200 })).ToArray();

        var scaled = decoder.DecodeGray8Thumbnail("m.png", new MemoryStream(TestImages.Png(labels, 1000, 500, 1)), 192, 96);

        Assert.Equal((192, 96), (scaled.Width, scaled.Height));
        Assert.Equal([0, 7, 200], [.. scaled.Pixels.Distinct().Order()]);
    }

    [Fact]
    public void AMaskOfAnotherSizeIsRefusedNamingTheMask()
    {
        var error = Assert.Throws<ImageRejectedException>(() => new ReportThumbnail(decoder).Make("a.png", new MemoryStream(Flat(60, 40, 100)), "masks/a.png", new MemoryStream(MaskFrom(40, 60, 20))));

        Assert.Equal("masks/a.png", error.ImageName);
        Assert.Contains("40×60", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreadableImageIsRefusedNamingIt()
    {
        var error = Assert.Throws<ImageRejectedException>(() => new ReportThumbnail(decoder).Make("a.png", new MemoryStream("not an image"u8.ToArray()), "masks/a.png", new MemoryStream(MaskFrom(40, 60, 20))));

        Assert.Equal("a.png", error.ImageName);
    }

    [Fact]
    public void ObjectsOfALabelImageEachGetAColourOfTheirOwnEvenWhenTheyTouch()
    {
        // Two objects side by side, touching, ids 1 and 2, on a 384 × 192 image: halved to 192 × 96.
        var ids = new ushort[384 * 192];
        for (var y = 40; y < 150; y++)
        {
            for (var x = 40; x < 340; x++)
            {
                ids[(y * 384) + x] = (ushort)(x < 190 ? 1 : 2);
            }
        }

        using var labels = NetVips.Image.NewFromMemory(ids, 384, 192, 1, NetVips.Enums.BandFormat.Ushort);
        var thumbnail = new ReportThumbnail(decoder).MakeWithObjects("a.png", new MemoryStream(Flat(384, 192, 100)), "instances/a.png", new MemoryStream(labels.PngsaveBuffer()));

        var (w, h, pixel) = Decode(thumbnail);
        Assert.Equal((192, 96), (w, h));
        Assert.Equal([100, 100, 100], pixel(5, 5));
        var (left, right) = (pixel(50, 48), pixel(140, 48));
        Assert.NotEqual(left, right);
        Assert.NotEqual([100, 100, 100], left);
        Assert.NotEqual([100, 100, 100], right);

        // Where they meet, each is outlined: the colour there is full, not the translucent inside.
        Assert.NotEqual(pixel(94, 48), pixel(90, 48));
    }
}
