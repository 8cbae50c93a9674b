using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Tests.Masks;

public sealed class MaskWriterTests : IDisposable
{
    private static readonly InputSpec Gray = new(1, false, new InputNormalization([0f], [1f]));

    private readonly string directory = Directory.CreateTempSubdirectory("maskwriter-").FullName;
    private readonly ImageDecoder decoder = new(new ImageDecoderOptions());
    private readonly MaskWriter writer = new(new OverlayOptions());

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static SegmentationMask Square(int size, int from, int to, byte value = 255, int classes = 1)
    {
        var labels = new byte[size * size];
        for (var y = from; y < to; y++)
        {
            Array.Fill(labels, value, (y * size) + from, to - from);
        }

        return new SegmentationMask(size, size, classes, labels);
    }

    [Fact]
    public void MaskPngDecodesToTheSameLabels()
    {
        var mask = new SegmentationMask(5, 2, 4, [0, 1, 2, 3, 0, 3, 3, 2, 1, 0]);
        Assert.Equal(mask.Labels, decoder.DecodeGray8("m.png", MaskWriter.EncodeMaskPng(mask)).Pixels);
    }

    [Fact]
    public void ProbabilityPngIsSixteenBit()
    {
        ushort[] map = [0, 1, 32768, 65535, 40000, 12345];
        var png = MaskWriter.EncodeProbabilityPng(map, 3, 2);
        Assert.Equal(16, ImageDecoder.ReadInfo("p.png", png).BitsPerSample);
        Assert.Equal(map.Select(v => v / 65535f), decoder.Decode("p.png", png, Gray).Data);
    }

    [Fact]
    public void OverlayOutlinesObjectsAndTintsTheirInside()
    {
        var original = new Rgb8Image(8, 8, Enumerable.Repeat((byte)100, 8 * 8 * 3).ToArray());
        var mask = Square(8, 2, 6);
        var overlay = decoder.DecodePreview("o.png", writer.EncodeOverlayPng(original, mask));

        byte[] Pixel(int x, int y) => overlay.Pixels.AsSpan(((y * 8) + x) * 3, 3).ToArray();
        Assert.Equal([100, 100, 100], Pixel(0, 0));
        Assert.Equal([255, 255, 0], Pixel(2, 2));
        Assert.Equal([255, 255, 0], Pixel(5, 3));
        var tint = (byte)Math.Round((100 * 0.7) + (255 * 0.3));
        var dark = (byte)Math.Round(100 * 0.7);
        Assert.Equal([tint, tint, dark], Pixel(3, 3));
    }

    [Fact]
    public void OverlayUsesAColourPerClass()
    {
        var original = new Rgb8Image(4, 1, new byte[12]);
        var mask = new SegmentationMask(4, 1, 3, [1, 1, 2, 0]);
        var overlay = decoder.DecodePreview("o.png", new MaskWriter(new OverlayOptions { FillOpacity = 0 }).EncodeOverlayPng(original, mask));
        Assert.Equal([255, 255, 0, 255, 255, 0, 0, 255, 255, 0, 0, 0], overlay.Pixels);
    }

    [Fact]
    public void WriteLeavesOnlyTheFinishedFiles()
    {
        var mask = Square(16, 4, 12);
        var paths = new MaskOutputPaths(
            Path.Combine(directory, "a_mask.png"),
            Path.Combine(directory, "a_prob.png"),
            Path.Combine(directory, "a_overlay.png"));
        var probability = new ushort[16 * 16];
        var original = new Rgb8Image(16, 16, new byte[16 * 16 * 3]);

        writer.Write(paths, mask, probability, original);
        writer.Write(paths, mask, probability, original);

        Assert.Equal(["a_mask.png", "a_overlay.png", "a_prob.png"], Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(mask.Labels, decoder.DecodeGray8("a_mask.png", File.ReadAllBytes(paths.Mask)).Pixels);
    }

    [Fact]
    public void FailedWriteRemovesItsTemporaryFile()
    {
        // The destination is a folder, so the final rename fails after the temporary file was written.
        var blocked = Directory.CreateDirectory(Path.Combine(directory, "taken.png")).FullName;

        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(blocked, [1, 2, 3]));

        Assert.Empty(Directory.GetFiles(directory));
        Assert.Equal([blocked], Directory.GetDirectories(directory));
    }
}
