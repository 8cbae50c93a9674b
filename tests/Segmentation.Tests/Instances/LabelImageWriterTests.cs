using NetVips;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Tests.Instances;

public sealed class LabelImageWriterTests
{
    [Theory]
    [InlineData(MaskFormat.Png, 65_535, "x.png", Enums.BandFormat.Ushort)]
    [InlineData(MaskFormat.Png, 70_000, "x.tif", Enums.BandFormat.Uint)]
    [InlineData(MaskFormat.Tiff, 300, "x.tif", Enums.BandFormat.Ushort)]
    [InlineData(MaskFormat.OmeTiff, 70_000, "x.ome.tif", Enums.BandFormat.Uint)]
    public void IdsKeepTheirValuesIn16BitsUpTo65535AndIn32BitsAbove(MaskFormat format, int largest, string file, Enums.BandFormat stored)
    {
        const int width = 400, height = 3;
        var rows = Enumerable.Range(0, height).Select(y => Enumerable.Range(0, width).Select(x => (y * width) + x <= 2 ? largest - (y * width) - x : ((y * width) + x) % 257).ToArray()).ToList();
        using var output = new MemoryStream();
        using (var writer = new LabelImageWriter(format, width, height, pixelSize: null))
        {
            rows.ForEach(row => writer.WriteRow(row));
            writer.Finish(output);
        }

        Assert.Equal(file, LabelImageWriter.FileName("x.png", format, largest));
        using var image = Image.NewFromBuffer(output.ToArray());
        Assert.Equal((width, height, 1, stored), (image.Width, image.Height, image.Bands, image.Format));
        using var ids = image.Cast(Enums.BandFormat.Uint);
        Assert.Equal(rows.SelectMany(r => r).Select(v => (uint)v), ids.WriteToMemory<uint>());
    }

    [Fact]
    public void AnUnfinishedLabelImageIsRefused()
    {
        using var writer = new LabelImageWriter(MaskFormat.Png, 4, 2, pixelSize: null);
        writer.WriteRow([0, 1, 1, 0]);

        Assert.Throws<InvalidOperationException>(() => writer.Finish(new MemoryStream()));
    }
}
