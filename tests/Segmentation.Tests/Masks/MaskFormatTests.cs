using System.Xml.Linq;
using NetVips;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Tests.Engine;
using UNetPP.Cluster.Segmentation.Tests.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Masks;

/// <summary>
/// Masks and probability maps as TIFF and OME-TIFF: the layout a slide viewer needs (tiles, deflate, a
/// pyramid in SubIFDs down to one tile), OME-XML that says what the pixels are and how large, and the
/// very values the PNG of the same run holds.
/// </summary>
public sealed class MaskFormatTests
{
    private static readonly XNamespace Ome = "http://www.openmicroscopy.org/Schemas/OME/2016-06";

    [Fact]
    public async Task AnOmeTiffMaskIsATiledDeflatedPyramidDownToOneTileHoldingThePngsValues()
    {
        // 2500 wide: levels of 1250 and 625, the first whose longest side fits a 1024 tile.
        const int width = 2500, height = 300;
        var image = EngineTestKit.Ellipses(width, height, seed: 8);
        var model = EngineTestKit.Amplified(EngineTestKit.Ellipses(301, 227, seed: 21), seed: 5, tileSize: 128);
        var (png, ome) = await SegmentBoth(model, image, MaskFormat.OmeTiff);

        foreach (var (file, bits) in new[] { (ome.MaskFile, 8), (ome.ProbabilityFile!, 16) })
        {
            var top = Assert.Single(TiffDirectory.Read(file));
            Assert.Equal([(width, height), (1250, 150), (625, 75)], new[] { top }.Concat(top.SubIfds).Select(d => (d[TiffDirectory.Width], d[TiffDirectory.Height])).Select(s => ((int)s.Item1, (int)s.Item2)));
            Assert.All(new[] { top }.Concat(top.SubIfds), level =>
            {
                Assert.Equal((TiffMaskWriter.TileSize, TiffMaskWriter.TileSize), (level[TiffDirectory.TileWidth], level[TiffDirectory.TileLength]));
                Assert.Equal(TiffDirectory.Deflate, level[TiffDirectory.Compression]);
                Assert.Equal(bits, level[TiffDirectory.BitsPerSample]);
            });

            var pixels = XDocument.Parse(top.Description!).Root!.Element(Ome + "Image")!.Element(Ome + "Pixels")!;
            Assert.Equal(("XYCZT", bits == 8 ? "uint8" : "uint16", $"{width}", $"{height}", "1", "1", "1"), (
                (string)pixels.Attribute("DimensionOrder")!, (string)pixels.Attribute("Type")!, (string)pixels.Attribute("SizeX")!,
                (string)pixels.Attribute("SizeY")!, (string)pixels.Attribute("SizeC")!, (string)pixels.Attribute("SizeZ")!, (string)pixels.Attribute("SizeT")!));
            Assert.Single(pixels.Elements(Ome + "Channel"));
            Assert.Equal("0", (string)pixels.Element(Ome + "TiffData")!.Attribute("IFD")!);

            // A PNG input says no pixel size, so the OME-XML claims none.
            Assert.Null(pixels.Attribute("PhysicalSizeX"));
        }

        Assert.Equal(Samples(png.MaskFile), Samples(ome.MaskFile));
        Assert.Equal(Samples(png.ProbabilityFile!), Samples(ome.ProbabilityFile!));

        // The mask's smaller levels pick labels, never a blend of 0 and 255 that no class has.
        using var level = Image.NewFromBuffer(ome.MaskFile, "subifd=1");
        Assert.Equal((625, 75), (level.Width, level.Height));
        Assert.All(level.WriteToMemory<byte>(), v => Assert.True(v is 0 or 255, $"{v}"));
        Assert.Contains(level.WriteToMemory<byte>(), v => v == 255);
    }

    [Fact]
    public async Task APlainTiffMaskIsTiledAndDeflatedWithOneLevelAndTheSameValues()
    {
        var image = EngineTestKit.Ellipses(301, 227, seed: 21);
        var (png, tiff) = await SegmentBoth(EngineTestKit.Amplified(image, seed: 5), image, MaskFormat.Tiff);

        var only = Assert.Single(TiffDirectory.Read(tiff.MaskFile));
        Assert.Empty(only.SubIfds);
        Assert.Null(only.Description);
        Assert.Equal((304, TiffDirectory.Deflate), (only[TiffDirectory.TileWidth], only[TiffDirectory.Compression]));
        Assert.Equal(Samples(png.MaskFile), Samples(tiff.MaskFile));
        Assert.Equal(Samples(png.ProbabilityFile!), Samples(tiff.ProbabilityFile!));
    }

    [Theory]
    [InlineData(MaskFormat.OmeTiff)]
    [InlineData(MaskFormat.Tiff)]
    public async Task TheInputsPixelSizeIsCarriedOverToTheMasksResolutionAndOmeXml(MaskFormat format)
    {
        const int width = 301, height = 227;
        var png = EngineTestKit.Ellipses(width, height, seed: 21);
        using var raster = Image.PngloadBuffer(png);

        // 0.325 µm by 0.5 µm pixels, as a microscope's TIFF says them: pixels per centimetre.
        var input = raster.TiffsaveBuffer(resunit: Enums.ForeignTiffResunit.Cm, xres: 1000 / 0.325, yres: 1000 / 0.5);
        Assert.Equal(new PhysicalPixelSize(0.325, 0.5), PhysicalPixelSize.Of(input));
        using var engine = EngineTestKit.Engine(EngineTestKit.Amplified(png, seed: 5), new SegmentationOptions { MaskFormat = format });

        var mask = (await engine.SegmentAsync("scan.tif", input, null, CancellationToken.None)).MaskFile;

        var top = TiffDirectory.Read(mask)[0];
        Assert.Equal(TiffDirectory.Centimetre, top[TiffDirectory.ResolutionUnit]);
        Assert.Equal(10_000 / 0.325, top.XPixelsPerUnit, 0.5);
        Assert.Equal(new PhysicalPixelSize(0.325, 0.5), PhysicalPixelSize.Of(mask));
        if (format == MaskFormat.OmeTiff)
        {
            var pixels = XDocument.Parse(top.Description!).Root!.Element(Ome + "Image")!.Element(Ome + "Pixels")!;
            Assert.Equal(("0.325", "0.5"), ((string)pixels.Attribute("PhysicalSizeX")!, (string)pixels.Attribute("PhysicalSizeY")!));
            Assert.Equal(("µm", "µm"), ((string)pixels.Attribute("PhysicalSizeXUnit")!, (string)pixels.Attribute("PhysicalSizeYUnit")!));
        }
    }

    [Fact]
    public void AnOmeTiffsPixelSizeIsTakenFromItsOmeXmlBeforeItsTags()
    {
        using var raster = TestImages.Raster(TestImages.Ramp(16 * 16), 16, 16, 1);
        var xml = OmeTiffMetadata.Describe("nuclei", 16, 16, "uint8", new PhysicalPixelSize(0.1625, 0.2));
        using var described = raster.Mutate(image => image.Set(GValue.GStrType, "image-description", xml.Replace("\"µm\"", "\"nm\"", StringComparison.Ordinal).Replace("0.1625", "162.5", StringComparison.Ordinal).Replace("\"0.2\"", "\"200\"", StringComparison.Ordinal)));

        var ome = described.TiffsaveBuffer(resunit: Enums.ForeignTiffResunit.Cm, xres: 1000);

        Assert.Equal(new PhysicalPixelSize(0.1625, 0.2), Rounded(PhysicalPixelSize.Of(ome)!));
    }

    [Fact]
    public void AnImageWithoutAUnitOfLengthHasNoPixelSize()
    {
        var samples = TestImages.Ramp(16 * 16 * 3);
        using var raster = TestImages.Raster(samples, 16, 16, 3);

        Assert.Null(PhysicalPixelSize.Of(TestImages.Png(samples, 16, 16, 3)));
        Assert.Null(PhysicalPixelSize.Of(raster.JpegsaveBuffer()));
        Assert.NotNull(PhysicalPixelSize.Of(new MemoryStream(raster.TiffsaveBuffer(resunit: Enums.ForeignTiffResunit.Inch, xres: 10))));
    }

    [Theory]
    [InlineData(MaskFormat.OmeTiff, 0.25)]
    [InlineData(MaskFormat.OmeTiff, null)]
    [InlineData(MaskFormat.Tiff, null)]
    public void RowsWrittenOneByOneGiveTheBytesOfTheWholeImage(MaskFormat format, double? micrometres)
    {
        const int width = 1500, height = 1100;
        var labels = new byte[width * height];
        var probabilities = new ushort[width * height];
        for (var i = 0; i < labels.Length; i++)
        {
            (labels[i], probabilities[i]) = ((byte)((i / 7 % 5 == 0) ? 255 : 0), (ushort)(i * 31));
        }

        var encoder = new MaskEncoder(format);
        var size = micrometres is { } m ? new PhysicalPixelSize(m, m) : null;
        using var mask = new MemoryStream();
        using var probability = new MemoryStream();
        using (var maskRows = encoder.MaskRows(mask, width, height, size))
        using (var probabilityRows = encoder.ProbabilityRows(probability, width, height, size))
        {
            for (var y = 0; y < height; y++)
            {
                maskRows.WriteRow(labels.AsSpan(y * width, width));
                probabilityRows.WriteRow(probabilities.AsSpan(y * width, width));
            }

            maskRows.Finish();
            probabilityRows.Finish();
        }

        Assert.Equal(encoder.EncodeMask(new SegmentationMask(width, height, 1, labels), size), mask.ToArray());
        Assert.Equal(encoder.EncodeProbability(probabilities, width, height, size), probability.ToArray());
    }

    [Theory]
    [InlineData("png", MaskFormat.Png)]
    [InlineData(" OME-TIFF", MaskFormat.OmeTiff)]
    [InlineData("tiff", MaskFormat.Tiff)]
    [InlineData(null, MaskFormat.Png)]
    public void AFormatIsReadByItsName(string? name, MaskFormat format)
    {
        Assert.Equal(format, MaskFormats.Of(name));
    }

    [Fact]
    public void AnUnknownFormatIsRefusedNamingTheOptionAndTheChoices()
    {
        var error = Assert.Throws<ArgumentException>(() => MaskFormats.Of("jpeg"));
        Assert.Equal("--mask-format jpeg: use png, tiff or ome-tiff.", error.Message);
    }

    [Theory]
    [InlineData("plate/a.png", MaskFormat.Png, "plate/a.png")]
    [InlineData("a.ome.tif", MaskFormat.Png, "a.ome.png")]
    [InlineData("a.ome.tif", MaskFormat.OmeTiff, "a.ome.tif")]
    [InlineData("a.ome.tiff", MaskFormat.Tiff, "a.tif")]
    [InlineData("a.jpg", MaskFormat.OmeTiff, "a.ome.tif")]
    [InlineData("a.b.png", MaskFormat.Tiff, "a.b.tif")]
    [InlineData("x.tif#z3", MaskFormat.Png, "x.z3.png")]
    [InlineData("x.tif#p2", MaskFormat.Tiff, "x.p2.tif")]
    [InlineData("slide.ome.tif#z3.t1", MaskFormat.OmeTiff, "slide.z3.t1.ome.tif")]
    public void AnImagesOutputIsNamedByItsStemAndTheFormat(string image, MaskFormat format, string expected)
    {
        Assert.Equal(expected, MaskFormats.FileName(image, format));
    }

    private static async Task<(SegmentedImage Png, SegmentedImage Other)> SegmentBoth(LoadedModel model, byte[] image, MaskFormat format)
    {
        var options = new SegmentationOptions { Probabilities = true, BatchSize = 4 };
        using var png = EngineTestKit.Engine(model, options);
        using var other = EngineTestKit.Engine(model, options with { MaskFormat = format });
        return (await png.SegmentAsync("a.png", image, null, CancellationToken.None), await other.SegmentAsync("a.png", image, null, CancellationToken.None));
    }

    /// <summary>A file's full-resolution samples, as libvips reads them whatever the format.</summary>
    private static int[] Samples(byte[] file)
    {
        using var image = Image.NewFromBuffer(file);
        return image.Format == Enums.BandFormat.Ushort ? [.. image.WriteToMemory<ushort>().Select(s => (int)s)] : [.. image.WriteToMemory<byte>().Select(s => (int)s)];
    }

    private static PhysicalPixelSize Rounded(PhysicalPixelSize size) => new(Math.Round(size.XMicrometres, 6), Math.Round(size.YMicrometres, 6));
}
