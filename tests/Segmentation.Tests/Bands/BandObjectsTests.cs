using UNetPP.Cluster.Segmentation.Bands;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Synthetic;
using UNetPP.Cluster.Segmentation.Tests.Engine;

namespace UNetPP.Cluster.Segmentation.Tests.Bands;

/// <summary>
/// Objects of a crowded field cut into bands, with nuclei crossing every cut: the stitched label image
/// with its object table, its QuPath GeoJSON and its counts must be those of the whole image, byte for
/// byte, as the masks are.
/// </summary>
public sealed class BandObjectsTests
{
    private const int Width = 320, Height = 288, Tile = 64;

    [Theory]
    [InlineData(MaskFormat.Png, 48)]
    [InlineData(MaskFormat.Png, 112)]
    [InlineData(MaskFormat.OmeTiff, 48)]
    public async Task StitchedBandsGiveTheWholeImagesLabelsAndCounts(MaskFormat format, int bandHeight)
    {
        var image = new SyntheticNuclei(Width, Height, seed: 11, crowded: true).Draw(0).ImagePng();
        var options = new SegmentationOptions { TileSize = Tile, MaskFormat = format, Objects = new ObjectOutputs(Labels: true, Table: true, GeoJson: true, MinObjectSize: null) };
        using var engine = EngineTestKit.Engine(DefaultModel.Load(), options);
        var whole = await engine.SegmentAsync("field.png", image, null, CancellationToken.None);

        var bands = BandPlanner.Split(Width, Height, Tile, options.Overlap, bandHeight);
        Assert.True(bands.Count >= 2, $"{bands.Count} bands");
        var parts = new List<byte[]>();
        foreach (var band in bands)
        {
            using var part = new MemoryStream();
            await engine.SegmentBandAsync("field.png", new MemoryStream(image), band, null, part, CancellationToken.None);
            parts.Add(part.ToArray());
        }

        using var mask = new MemoryStream();
        using var labels = new MemoryStream();
        using var table = new MemoryStream();
        using var geoJson = new MemoryStream();
        var outputs = new StitchOutputs(mask)
        {
            Format = format,
            Objects = new ObjectStreams(labels, table, geoJson),
            ObjectSettings = engine.ObjectSettings,
            ObjectSamples = new MemoryStream(image),
        };
        var stitched = await new BandStitcher(new MaskWriter(new OverlayOptions()), new ImageDecoder(new ImageDecoderOptions()))
            .StitchAsync("field.png", parts.Count, (i, _) => Task.FromResult<Stream>(new MemoryStream(parts[i])), null, outputs, CancellationToken.None);

        Assert.Equal(whole.MaskFile, mask.ToArray());
        Assert.Equal(whole.Objects!.Labels, labels.ToArray());
        Assert.Equal(whole.Objects.Table, table.ToArray());
        Assert.Equal(whole.Objects.GeoJson, geoJson.ToArray());
        Assert.Equal(whole.Objects.Found.LabelFile, stitched.Objects!.LabelFile);
        Assert.Equal(whole.Summary.Classes[0].ObjectAreas, stitched.Summary.Classes[0].ObjectAreas);

        // The test means something only if many objects lie across the cuts.
        var ids = ReadLabels(whole.Objects.Labels!);
        Assert.Equal(whole.Objects.Found.Objects, ids.Max());
        Assert.True(whole.Objects.Found.Objects > 40, $"{whole.Objects.Found.Objects} objects");
        var crossing = bands.Skip(1).Sum(b => ids.Skip((b.Y - 1) * Width).Take(Width).Where(id => id != 0)
            .Intersect(ids.Skip(b.Y * Width).Take(Width)).Count());
        Assert.True(crossing >= 5, $"{crossing} objects cross a cut");
        Assert.Equal(whole.Objects.Found.Objects, whole.Summary.Classes[0].ObjectCount);
    }

    [Fact]
    public async Task AThreeClassModelsObjectsKeepTheirClassesAndTheSameBytesCut()
    {
        const int width = 301, height = 227;
        var image = EngineTestKit.Ellipses(width, height, seed: 21);
        var options = new SegmentationOptions { Objects = new ObjectOutputs(Labels: true, Table: true, GeoJson: true, MinObjectSize: 1) };
        using var engine = EngineTestKit.Engine(EngineTestKit.Balanced(image, 3, tileSize: Tile), options);
        var whole = await engine.SegmentAsync("big.png", image, null, CancellationToken.None);
        var parts = new List<byte[]>();
        foreach (var band in BandPlanner.Split(width, height, Tile, options.Overlap, 48))
        {
            using var part = new MemoryStream();
            await engine.SegmentBandAsync("big.png", new MemoryStream(image), band, null, part, CancellationToken.None);
            parts.Add(part.ToArray());
        }

        using var labels = new MemoryStream();
        using var table = new MemoryStream();
        using var geoJson = new MemoryStream();
        var stitched = await new BandStitcher(new MaskWriter(new OverlayOptions()), new ImageDecoder(new ImageDecoderOptions())).StitchAsync(
            "big.png", parts.Count, (i, _) => Task.FromResult<Stream>(new MemoryStream(parts[i])), null,
            new StitchOutputs(new MemoryStream()) { Objects = new ObjectStreams(labels, table, geoJson), ObjectSettings = engine.ObjectSettings, ObjectSamples = new MemoryStream(image) },
            CancellationToken.None);

        Assert.Equal(whole.Objects!.Labels, labels.ToArray());
        Assert.Equal(whole.Objects.Table, table.ToArray());
        Assert.Equal(whole.Objects.GeoJson, geoJson.ToArray());
        Assert.Equal(2, whole.Summary.Classes.Count);
        Assert.All(whole.Summary.Classes, c => Assert.True(c.ObjectCount > 0, $"class {c.ClassIndex} has no object"));
        Assert.Equal(whole.Summary.Classes.Select(c => c.ObjectAreas), stitched.Summary.Classes.Select(c => c.ObjectAreas));

        // Each class's objects are its own: the GeoJSON names both classes, and no object's pixels hold two mask values.
        var text = System.Text.Encoding.UTF8.GetString(whole.Objects.GeoJson!);
        Assert.Contains("\"name\":\"class 1\"", text, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"class 2\"", text, StringComparison.Ordinal);
        var ids = ReadLabels(whole.Objects.Labels!);
        using var maskImage = NetVips.Image.NewFromBuffer(whole.MaskFile);
        var classes = maskImage.WriteToMemory<byte>();
        Assert.All(ids.Select((id, i) => (id, i)).Where(p => p.id != 0).GroupBy(p => p.id), g => Assert.Single(g.Select(p => classes[p.i]).Distinct()));
    }

    private static int[] ReadLabels(byte[] file)
    {
        using var image = NetVips.Image.NewFromBuffer(file);
        using var gray = image.Cast(NetVips.Enums.BandFormat.Uint);
        return gray.WriteToMemory<int>();
    }
}
