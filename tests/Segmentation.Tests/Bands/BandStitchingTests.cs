using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Bands;
using UNetPP.Cluster.Segmentation.Tests.Engine;
using UNetPP.Cluster.Segmentation.Tests.Imaging;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Tests.Bands;

/// <summary>
/// A large image segmented band by band, each band on its own and streamed as another machine would,
/// then stitched as a stream, must give the very files a one-machine run of the whole image gives: the
/// promise that lets a cluster share one image without the user seeing where it was cut.
/// </summary>
public sealed class BandStitchingTests
{
    private const int Tile = 64;

    private static readonly ImageDecoder Decoder = new(new ImageDecoderOptions());

    [Theory]
    [InlineData(1, 0.25, 48, false, "png")]
    [InlineData(1, 0.5, 32, false, "png")]
    [InlineData(1, 0.25, 100, false, "tiff")]
    [InlineData(1, 0.25, 1000, false, "png")]
    [InlineData(3, 0.25, 80, false, "png")]
    [InlineData(1, 0.25, 48, true, "png")]
    [InlineData(3, 0.25, 80, true, "tiff")]
    public async Task StitchedBandsAreByteIdenticalToTheWholeImage(int classes, double overlap, int bandHeight, bool tta, string format)
    {
        const int width = 301, height = 227;
        var png = EngineTestKit.Ellipses(width, height, seed: 21);
        var image = format == "png" ? png : TestImages.Tiff(EngineTestKit.ReadPng(png).Samples.Select(s => (byte)s).ToArray(), width, height, 3);
        var truth = Truth(width, height, classes);
        var model = classes == 1
            ? EngineTestKit.Amplified(png, seed: 5, tileSize: Tile)
            : EngineTestKit.Balanced(png, classes, tileSize: Tile);
        var options = new SegmentationOptions { Overlap = overlap, Probabilities = true, Overlays = true, BatchSize = 3, Tta = tta };
        using var engine = EngineTestKit.Engine(model, options);
        var whole = await engine.SegmentAsync("big.png", image, new GroundTruth("big-mask.png", truth), CancellationToken.None);

        var bands = BandPlanner.Split(width, height, Tile, overlap, bandHeight);
        Assert.True(bandHeight > height || bands.Count >= 3, $"{bands.Count} bands: the test needs the image cut several times.");
        var parts = new List<byte[]>();
        foreach (var band in bands)
        {
            parts.Add(await SegmentBand(engine, image, band, new GroundTruth("big-mask.png", truth)));
        }

        using var mask = new MemoryStream();
        using var probability = new MemoryStream();
        using var overlay = new MemoryStream();
        var stitched = await Stitch(parts, new MemoryStream(image), new StitchOutputs(mask, probability, overlay));

        Assert.Equal(whole.MaskFile, mask.ToArray());
        Assert.Equal(whole.ProbabilityFile, probability.ToArray());
        Assert.Equal(whole.OverlayPng, overlay.ToArray());
        Assert.Equal((whole.Width, whole.Height), (stitched.Width, stitched.Height));
        Assert.True(stitched.Tiles >= whole.Tiles, $"{stitched.Tiles} tiles stitched, {whole.Tiles} whole");
        Assert.Equal(whole.Quality, stitched.Quality);
        Assert.Equal(whole.Summary.Classes.Count, stitched.Summary.Classes.Count);
        foreach (var (expected, actual) in whole.Summary.Classes.Zip(stitched.Summary.Classes))
        {
            Assert.Equal((expected.ClassIndex, expected.PixelCount, expected.ForegroundFraction), (actual.ClassIndex, actual.PixelCount, actual.ForegroundFraction));
            Assert.Equal(expected.ObjectAreas, actual.ObjectAreas);
            Assert.Equal(expected.MeanProbability, actual.MeanProbability, 1e-9);
        }

        // A mask of one label everywhere would match whatever the cuts did.
        var labels = EngineTestKit.ReadPng(whole.MaskFile).Samples.CountBy(l => l).ToList();
        Assert.True(labels.Count >= 2 && labels.All(l => l.Value > width * height / 50), string.Join(", ", labels));
    }

    [Theory]
    [InlineData(MaskFormat.OmeTiff)]
    [InlineData(MaskFormat.Tiff)]
    public async Task StitchedBandsGiveTheWholeImagesTiffByteForByte(MaskFormat format)
    {
        const int width = 301, height = 227;
        var png = EngineTestKit.Ellipses(width, height, seed: 21);
        var image = TestImages.Tiff(EngineTestKit.ReadPng(png).Samples.Select(s => (byte)s).ToArray(), width, height, 3);
        var options = new SegmentationOptions { Probabilities = true, MaskFormat = format };
        using var engine = EngineTestKit.Engine(EngineTestKit.Amplified(png, seed: 5, tileSize: Tile), options);
        var whole = await engine.SegmentAsync("big.tif", image, null, CancellationToken.None);
        var parts = new List<byte[]>();
        foreach (var band in BandPlanner.Split(width, height, Tile, 0.25, 48))
        {
            parts.Add(await SegmentBand(engine, image, band, null));
        }

        using var mask = new MemoryStream();
        using var probability = new MemoryStream();
        await Stitch(parts, null, new StitchOutputs(mask, probability) { Format = format, PixelSize = PhysicalPixelSize.Of(new MemoryStream(image)) });

        Assert.Equal(whole.MaskFile, mask.ToArray());
        Assert.Equal(whole.ProbabilityFile, probability.ToArray());
        Assert.Equal("II*\0"u8.ToArray(), whole.MaskFile[..4]);
    }

    [Theory]
    [InlineData("percentile")]
    [InlineData("zscore")]
    [InlineData("fixed")]
    public async Task BandsOfAPerImageNormalisedImageUseTheWholeImagesStatistics(string normalize)
    {
        // 12-bit data in a 16-bit TIFF, brighter towards the bottom: a band measured on its own rows would differ at every cut.
        const int width = 301, height = 227;
        var png = EngineTestKit.Ellipses(width, height, seed: 21);
        var samples = EngineTestKit.ReadPng(png).Samples;
        var image = TestImages.Tiff16([.. samples.Select((s, i) => (ushort)((s * 16) + (i / (3 * width) * 8)))], width, height, 3);
        var options = new SegmentationOptions { Probabilities = true, Normalize = NormalizationChoice.Parse(normalize) };
        using var engine = EngineTestKit.Engine(EngineTestKit.Amplified(png, seed: 5, tileSize: Tile), options);
        var whole = await engine.SegmentAsync("big.png", image, null, CancellationToken.None);

        // Measured once for the image, as the cluster does; the first band measures on its own, as a band given nothing must.
        var intensity = engine.MeasureIntensity("big.png", new MemoryStream(image));
        Assert.Equal(normalize == "fixed", intensity is null);
        var parts = new List<byte[]>();
        foreach (var (band, index) in BandPlanner.Split(width, height, Tile, 0.25, 48).Select((b, i) => (b, i)))
        {
            parts.Add(await SegmentBand(engine, image, band, null, index == 0 ? null : intensity));
        }

        using var mask = new MemoryStream();
        using var probability = new MemoryStream();
        var stitched = await Stitch(parts, null, new StitchOutputs(mask, probability));

        Assert.Equal(whole.MaskFile, mask.ToArray());
        Assert.Equal(whole.ProbabilityFile, probability.ToArray());

        // The fixed normalisation leaves 12-bit data nearly black, and says so, cut or uncut.
        Assert.Equal(normalize == "fixed" ? SegmentationEngine.FaintWarning : null, whole.Warning);
        Assert.Equal(whole.Warning, stitched.Warning);
    }

    [Fact]
    public async Task ABandInfersOnlyTheTileRowsThatTouchIt()
    {
        const int width = 400, height = 300;
        var png = EngineTestKit.Ellipses(width, height, seed: 4);
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));
        var grid = new TileGrid(height, width, Tile, engine.Overlap);
        var band = new PixelRect(0, 96, width, 48);

        using var part = new MemoryStream();
        var tiles = await engine.SegmentBandAsync("big.png", new MemoryStream(png), band, null, part, CancellationToken.None);

        Assert.Equal(grid.TilesTouching(band).Count, tiles);
        Assert.True(tiles < grid.Tiles.Count / 2, $"{tiles} of {grid.Tiles.Count} tiles");
        using var reader = new BandPartReader(new MemoryStream(part.ToArray()));
        Assert.Equal((width, height, band, false), (reader.ImageWidth, reader.ImageHeight, reader.Band, reader.WithProbability));
        var row = new byte[width];
        for (var r = 0; r < band.Height; r++)
        {
            reader.ReadRow(row, default);
        }

        var summary = reader.ReadSummary();
        Assert.Equal(tiles, summary.Tiles);
        Assert.Null(summary.Quality);
    }

    [Fact]
    public async Task AGroundTruthOfAnotherSizeIsRefusedNamingBothFiles()
    {
        var png = EngineTestKit.Ellipses(200, 150, seed: 4);
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));

        var error = await Assert.ThrowsAsync<ImageRejectedException>(() => engine.SegmentBandAsync(
            "big.png", new MemoryStream(png), new PixelRect(0, 0, 200, 75), new GroundTruth("big-mask.png", Truth(199, 150, 1)), new MemoryStream(), CancellationToken.None));

        Assert.Equal("big-mask.png", error.ImageName);
        Assert.Contains("199×150", error.Message, StringComparison.Ordinal);
        Assert.Contains("big.png is 200×150", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public async Task ACorruptImageIsRefusedForABandAsForTheWholeImage(int top)
    {
        var png = EngineTestKit.Ellipses(200, 150, seed: 4);
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));

        var error = await Assert.ThrowsAsync<ImageRejectedException>(() => engine.SegmentBandAsync(
            "big.png", new MemoryStream(png[..(png.Length / 2)]), new PixelRect(0, top, 200, 50), null, new MemoryStream(), CancellationToken.None));

        Assert.Equal("big.png", error.ImageName);
    }

    [Fact]
    public async Task StitchingRefusesPartsThatAreNotTheImagesBandsInOrder()
    {
        var top = Part(new PixelRect(0, 0, 20, 3));
        var bottom = Part(new PixelRect(0, 3, 20, 5));
        var narrow = Part(new PixelRect(0, 3, 10, 5));

        Assert.Equal((20, 8), await Size([top, bottom]));
        Assert.Contains("cover 3 of the image's 8 rows", (await Refused([top])).Message, StringComparison.Ordinal);
        Assert.Contains("starts at row 0", (await Refused([bottom, top])).Message, StringComparison.Ordinal);
        Assert.Contains("starts at row 3 and is 20 wide", (await Refused([top, narrow])).Message, StringComparison.Ordinal);
        Assert.Contains("band 2", (await Refused([top, bottom[..^4]])).Message, StringComparison.Ordinal);

        static async Task<(int, int)> Size(List<byte[]> parts)
        {
            var image = await Stitch(parts, null, new StitchOutputs(new MemoryStream()));
            return (image.Width, image.Height);
        }

        static Task<InvalidDataException> Refused(List<byte[]> parts) =>
            Assert.ThrowsAsync<InvalidDataException>(() => Stitch(parts, null, new StitchOutputs(new MemoryStream())));
    }

    [Fact]
    public void APartSurvivesItsStoredFormAndADamagedOneIsRefused()
    {
        var band = new PixelRect(0, 2, 10, 4);
        var encoded = Part(band, probability: true);
        using (var reader = new BandPartReader(new MemoryStream(encoded)))
        {
            Assert.Equal((20, 8, band, 1, true), (reader.ImageWidth, reader.ImageHeight, reader.Band, reader.Classes, reader.WithProbability));
            var (labels, probability) = (new byte[10], new ushort[10]);
            for (var r = 0; r < band.Height; r++)
            {
                reader.ReadRow(labels, probability);
                Assert.Equal(Labels(band).Skip(r * 10).Take(10), labels);
                Assert.Equal(Probability(band).Skip(r * 10).Take(10), probability);
            }

            var summary = reader.ReadSummary();
            Assert.Equal(2, summary.Tiles);
            Assert.Equal([0, 14], summary.Totals.Pixels);
            Assert.Equal([SegmentationQuality.FromCounts(1, 5, 14, 9)], summary.Quality);
        }

        Assert.Throws<InvalidDataException>(() => new BandPartReader(new MemoryStream(encoded[..^10])));
        Assert.Throws<InvalidDataException>(() => new BandPartReader(new MemoryStream(TestImages.Png(new byte[4], 2, 2, 1))));
        var flipped = (byte[])encoded.Clone();
        flipped[^20] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() =>
        {
            using var reader = new BandPartReader(new MemoryStream(flipped));
            var row = new byte[10];
            var probability = new ushort[10];
            for (var r = 0; r < band.Height; r++)
            {
                reader.ReadRow(row, probability);
            }

            reader.ReadSummary();
        });
    }

    [Theory]
    [InlineData(1000, 700, 64, 0.25, 200, 4)]
    [InlineData(1000, 700, 64, 0.25, 10, 15)]
    [InlineData(100, 70, 64, 0.25, 500, 1)]
    public void BandsCoverTheImageAlongTileRowStarts(int width, int height, int tile, double overlap, int bandHeight, int count)
    {
        var bands = BandPlanner.Split(width, height, tile, overlap, bandHeight);
        var stride = TileGrid.StrideFor(tile, overlap);

        Assert.Equal(count, bands.Count);
        Assert.All(bands, b => Assert.Equal((0, width), (b.X, b.Width)));
        Assert.All(bands, b => Assert.True(b.Y % stride == 0, $"{b} does not start on a tile row"));
        Assert.Equal(Enumerable.Range(0, bands.Count - 1).Select(i => bands[i].Bottom), bands.Skip(1).Select(b => b.Y));
        Assert.Equal(height, bands[^1].Bottom);
    }

    private static async Task<byte[]> SegmentBand(SegmentationEngine engine, byte[] image, PixelRect band, GroundTruth? truth, (float[] Offset, float[] Divisor)? intensity = null)
    {
        using var part = new MemoryStream();
        await engine.SegmentBandAsync("big.png", new MemoryStream(image), band, truth, part, CancellationToken.None, intensity);
        return part.ToArray();
    }

    private static Task<StitchedImage> Stitch(List<byte[]> parts, Stream? original, StitchOutputs outputs) =>
        new BandStitcher(new MaskWriter(new OverlayOptions()), Decoder)
            .StitchAsync("big.png", parts.Count, (i, _) => Task.FromResult<Stream>(new MemoryStream(parts[i])), original, outputs, CancellationToken.None);

    /// <summary>A ground truth of stripes: class k (or 255 for one class) in every third stripe of rows.</summary>
    private static byte[] Truth(int width, int height, int classes)
    {
        var pixels = new byte[width * height];
        for (var i = 0; i < pixels.Length; i++)
        {
            var stripe = (i / width / 17) % 3;
            pixels[i] = classes == 1 ? (byte)(stripe == 0 ? 255 : 0) : (byte)(stripe % classes);
        }

        return TestImages.Png(pixels, width, height, 1);
    }

    private static byte[] Labels(PixelRect band) => [.. Enumerable.Range(0, (int)band.Area).Select(i => (byte)(i % 3 == 0 ? 255 : 0))];

    private static ushort[] Probability(PixelRect band) => [.. Enumerable.Range(0, (int)band.Area).Select(i => (ushort)(i * 97))];

    /// <summary>A stored part of a 20×8 image.</summary>
    private static byte[] Part(PixelRect band, bool probability = false)
    {
        var labels = Labels(band);
        var foreground = labels.Count(l => l == 255);
        using var stream = new MemoryStream();
        using (var writer = new BandPartWriter(stream, 20, 8, band, 1, probability))
        {
            writer.WriteRows(labels, probability ? Probability(band) : default);
            writer.Finish(2, new ClassTotals([0, foreground], [0, foreground * 0.75]), [SegmentationQuality.FromCounts(1, 5, foreground, 9)]);
        }

        return stream.ToArray();
    }
}
