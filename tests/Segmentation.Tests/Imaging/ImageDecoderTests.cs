using System.Diagnostics;
using System.Text;
using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

public sealed class ImageDecoderTests
{
    private static readonly InputSpec Gray = new(1, AllowColorToGray: false, new InputNormalization([0f], [1f]));
    private static readonly InputSpec GrayFromColor = Gray with { AllowColorToGray = true };
    private static readonly InputSpec Rgb = new(3, AllowColorToGray: false, new InputNormalization([0f, 0f, 0f], [1f, 1f, 1f]));
    private static readonly InputSpec RgbImageNet = new(3, AllowColorToGray: false, InputNormalization.ImageNet);

    private readonly ImageDecoder decoder = new(new ImageDecoderOptions());

    private static float At(ImageTensor t, int c, int y, int x) => t.Data[(((c * t.Height) + y) * t.Width) + x];

    [Fact]
    public void Gray8PngDecodesExactlyScaledBy255()
    {
        var samples = TestImages.Ramp(7 * 5);
        var tensor = decoder.Decode("g.png", TestImages.Png(samples, 7, 5, 1), Gray);

        Assert.Equal((1, 5, 7), (tensor.Channels, tensor.Height, tensor.Width));
        for (var i = 0; i < samples.Length; i++)
        {
            Assert.Equal(samples[i] / 255f, tensor.Data[i]);
        }
    }

    [Fact]
    public void Gray16PngAndTiffDecodeExactlyScaledBy65535()
    {
        var samples = TestImages.Ramp16(6 * 4);
        foreach (var bytes in new[] { TestImages.Png16(samples, 6, 4, 1), TestImages.Tiff16(samples, 6, 4, 1) })
        {
            var tensor = decoder.Decode("g16", bytes, Gray);
            for (var i = 0; i < samples.Length; i++)
            {
                Assert.Equal(samples[i] / 65535f, tensor.Data[i]);
            }
        }
    }

    [Fact]
    public void RgbPngAndTiffBecomePlanarAndNormalisedPerChannel()
    {
        const int w = 5, h = 3;
        var samples = TestImages.Ramp(w * h * 3);
        var mean = InputNormalization.ImageNet.Mean;
        var std = InputNormalization.ImageNet.Std;
        foreach (var bytes in new[] { TestImages.Png(samples, w, h, 3), TestImages.Tiff(samples, w, h, 3) })
        {
            var tensor = decoder.Decode("rgb", bytes, RgbImageNet);
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        var expected = ((samples[(((y * w) + x) * 3) + c] / 255f) - mean[c]) / std[c];
                        Assert.Equal(expected, At(tensor, c, y, x));
                    }
                }
            }
        }
    }

    [Fact]
    public void AlphaIsDropped()
    {
        const int w = 4, h = 4;
        var rgba = TestImages.Ramp(w * h * 4);
        var tensor = decoder.Decode("rgba.png", TestImages.Png(rgba, w, h, 4), Rgb);
        Assert.Equal(3, tensor.Channels);
        Assert.Equal(rgba[(5 * 4) + 2] / 255f, At(tensor, 2, 1, 1));

        var grayAlpha = TestImages.Ramp16(w * h * 2);
        var gray = decoder.Decode("ga.png", TestImages.Png16(grayAlpha, w, h, 2), Gray);
        Assert.Equal(1, gray.Channels);
        Assert.Equal(grayAlpha[7 * 2] / 65535f, At(gray, 0, 1, 3));
    }

    [Fact]
    public void GrayIsReplicatedForAnRgbModel()
    {
        var samples = TestImages.Ramp(3 * 2);
        var tensor = decoder.Decode("g.png", TestImages.Png(samples, 3, 2, 1), RgbImageNet);
        var mean = InputNormalization.ImageNet.Mean;
        var std = InputNormalization.ImageNet.Std;
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(((samples[4] / 255f) - mean[c]) / std[c], At(tensor, c, 1, 1));
        }
    }

    [Fact]
    public void ColorBecomesLumaOnlyWhenAllowed()
    {
        byte[] pixel = [200, 100, 50];
        var png = TestImages.Png(pixel, 1, 1, 3);

        var tensor = decoder.Decode("c.png", png, GrayFromColor);
        Assert.Equal((0.299f * 200 / 255f) + (0.587f * 100 / 255f) + (0.114f * 50 / 255f), tensor.Data[0], 1e-6f);

        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode("c.png", png, Gray));
        Assert.Equal("c.png: 3 channels, but the model takes 1 (colour-to-gray conversion is not allowed)", e.Message);
    }

    [Fact]
    public void JpegDecodesCloseToTheOriginal()
    {
        var samples = new byte[16 * 16 * 3];
        for (var i = 0; i < samples.Length; i += 3)
        {
            (samples[i], samples[i + 1], samples[i + 2]) = (180, 90, 30);
        }

        var tensor = decoder.Decode("flat.jpg", TestImages.Jpeg(samples, 16, 16, 3), Rgb);
        Assert.Equal(180 / 255f, At(tensor, 0, 8, 8), 0.02f);
        Assert.Equal(90 / 255f, At(tensor, 1, 8, 8), 0.02f);
        Assert.Equal(30 / 255f, At(tensor, 2, 8, 8), 0.02f);
    }

    [Fact]
    public void OneBitAndFloatTiffsDecode()
    {
        byte[] bits = [0, 255, 255, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255];
        using (var image = TestImages.Raster(bits, 8, 2, 1))
        {
            var tensor = decoder.Decode("bits.tif", image.TiffsaveBuffer(bitdepth: 1), Gray);
            Assert.Equal(bits.Select(b => b / 255f), tensor.Data);
        }

        float[] values = [0f, 0.25f, 0.5f, 1f];
        using var floats = Image.NewFromMemory(values, 2, 2, 1, Enums.BandFormat.Float);
        Assert.Equal(values, decoder.Decode("f.tif", floats.TiffsaveBuffer(), Gray).Data);
    }

    [Fact]
    public void ReadInfoDescribesTheHeader()
    {
        var info = ImageDecoder.ReadInfo("a.png", TestImages.Png16(TestImages.Ramp16(10 * 3 * 2), 10, 3, 2));
        Assert.Equal(new ImageInfo(ImageFormat.Png, 10, 3, 2, 16, HasAlpha: true), info);
        Assert.Equal(1, info.ColorBands);

        var tiff = ImageDecoder.ReadInfo("m.tif", TestImages.Tiff(new byte[4 * 4 * 5], 4, 4, 5));
        Assert.Equal(new ImageInfo(ImageFormat.Tiff, 4, 4, 5, 8, HasAlpha: false), tiff);

        Assert.Equal(ImageFormat.Jpeg, ImageDecoder.ReadInfo("j.jpg", TestImages.Jpeg(new byte[8 * 8 * 3], 8, 8, 3)).Format);
    }

    [Fact]
    public void PreviewIsEightBitRgb()
    {
        var samples = TestImages.Ramp16(3 * 2);
        var preview = decoder.DecodePreview("g16.png", TestImages.Png16(samples, 3, 2, 1));
        Assert.Equal((3, 2), (preview.Width, preview.Height));
        var expected = (byte)Math.Round(samples[4] / 65535.0 * 255);
        Assert.Equal(new[] { expected, expected, expected }, preview.Pixels.AsSpan(4 * 3, 3).ToArray());

        var rgba = TestImages.Ramp(2 * 2 * 4);
        var color = decoder.DecodePreview("c.png", TestImages.Png(rgba, 2, 2, 4));
        Assert.Equal(new[] { rgba[4], rgba[5], rgba[6] }, color.Pixels.AsSpan(3, 3).ToArray());
    }

    [Fact]
    public void GroundTruthDecodesToEightBitGray()
    {
        var mask = TestImages.Ramp(4 * 3);
        Assert.Equal(mask, decoder.DecodeGray8("m.png", TestImages.Png(mask, 4, 3, 1)).Pixels);

        var gray = decoder.DecodeGray8("c.png", TestImages.Png([200, 100, 50], 1, 1, 3));
        Assert.Equal((byte)Math.Round((0.299 * 200) + (0.587 * 100) + (0.114 * 50)), gray.Pixels[0]);
    }

    [Fact]
    public void TruncatedPngIsRejected()
    {
        var png = TestImages.Png(TestImages.Ramp(64 * 64 * 3, seed: 11), 64, 64, 3);
        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode("cells/a.png", png[..(png.Length / 2)], Rgb));
        Assert.StartsWith("cells/a.png: truncated or corrupt image data (", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("cells/a.png", e.ImageName);
    }

    [Fact]
    public void TruncatedTiffAndJpegAreRejected()
    {
        var samples = TestImages.Ramp(64 * 64 * 3, seed: 5);
        var tiff = TestImages.Tiff(samples, 64, 64, 3);
        var jpeg = TestImages.Jpeg(samples, 64, 64, 3);
        Assert.Contains("truncated or corrupt", Assert.Throws<ImageRejectedException>(() => decoder.Decode("t.tif", tiff[..(tiff.Length / 2)], Rgb)).Message, StringComparison.Ordinal);
        Assert.Contains("truncated or corrupt", Assert.Throws<ImageRejectedException>(() => decoder.Decode("j.jpg", jpeg[..(jpeg.Length / 2)], Rgb)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFileIsRejected()
    {
        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode("b.png", [], Rgb));
        Assert.Equal("b.png: the file is empty", e.Message);
    }

    [Fact]
    public void TextFileIsRejected()
    {
        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode("notes.png", Encoding.UTF8.GetBytes("hello, not an image"), Rgb));
        Assert.Equal("notes.png: not a PNG, JPEG or TIFF image", e.Message);
        Assert.Throws<ImageRejectedException>(() => ImageDecoder.ReadInfo("notes.png", Encoding.UTF8.GetBytes("x")));
    }

    [Fact]
    public void ImageOverThePixelLimitIsRejected()
    {
        var small = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 100 });
        var png = TestImages.Png(new byte[20 * 10], 20, 10, 1);
        var e = Assert.Throws<ImageRejectedException>(() => small.Decode("e.png", png, Gray));
        Assert.Equal("e.png: 20×10 = 200 pixels exceeds the limit of 100 pixels", e.Message);
        Assert.Throws<ImageRejectedException>(() => small.DecodePreview("e.png", png));
        Assert.Throws<ImageRejectedException>(() => small.DecodeGray8("e.png", png));
    }

    [Fact]
    public void DecompressionBombIsRefusedFromTheHeader()
    {
        var bomb = TestImages.PngDeclaring(100_000, 100_000);
        Assert.True(bomb.Length < 1000);

        var stopwatch = Stopwatch.StartNew();
        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode("bomb.png", bomb, Gray));
        stopwatch.Stop();

        Assert.Equal("bomb.png: 100000×100000 = 10 gigapixels exceeds the limit of 1 gigapixel", e.Message);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"took {stopwatch.Elapsed}");
        Assert.Equal((100_000, 100_000), (ImageDecoder.ReadInfo("bomb.png", bomb).Width, ImageDecoder.ReadInfo("bomb.png", bomb).Height));
    }

    [Fact]
    public void MultispectralTiffIsRejectedForAnRgbModel()
    {
        var tiff = TestImages.Tiff(new byte[4 * 4 * 5], 4, 4, 5);
        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode("d.tif", tiff, Rgb));
        Assert.Equal("d.tif: 5 channels, but the model takes 3; choose 3 of them with --channels (its channels are 0–4)", e.Message);
    }

    [Fact]
    public void MultispectralTiffDecodesForAModelWithAsManyChannels()
    {
        var samples = TestImages.Ramp(3 * 2 * 5);
        var spec = new InputSpec(5, false, new InputNormalization(new float[5], [1f, 1f, 1f, 1f, 1f]));
        var tensor = decoder.Decode("m.tif", TestImages.Tiff(samples, 3, 2, 5), spec);
        Assert.Equal(5, tensor.Channels);
        Assert.Equal(samples[(4 * 5) + 3] / 255f, At(tensor, 3, 1, 1));
    }

    [Fact]
    public void CmykIsRejected()
    {
        using var image = Image.NewFromMemory(new byte[8 * 8 * 4], 8, 8, 4, Enums.BandFormat.Uchar)
            .Copy(interpretation: Enums.Interpretation.Cmyk);
        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode("k.jpg", image.JpegsaveBuffer(), Rgb));
        Assert.Equal("k.jpg: CMYK images are not supported; convert it to RGB", e.Message);
    }

    [Fact]
    public void NormalisationMustMatchTheChannels()
    {
        var spec = new InputSpec(3, false, new InputNormalization([0f], [1f]));
        Assert.Throws<ArgumentException>(() => decoder.Decode("a.png", TestImages.Png([1, 2, 3], 1, 1, 3), spec));
    }
}
