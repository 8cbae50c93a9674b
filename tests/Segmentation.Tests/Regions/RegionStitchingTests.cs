using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Regions;
using UNetPP.Cluster.Segmentation.Tests.Engine;
using UNetPP.Cluster.Segmentation.Tests.Imaging;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Tests.Regions;

/// <summary>
/// A large image segmented region by region, each region on its own as another machine would, then
/// stitched, must give the very files a one-machine run gives: the promise that lets a cluster share
/// one image without the user seeing where it was cut.
/// </summary>
public sealed class RegionStitchingTests
{
    private const int Tile = 64;

    [Theory]
    [InlineData(1, 0.25, 96, false)]
    [InlineData(1, 0.5, 64, false)]
    [InlineData(1, 0.25, 200, false)]
    [InlineData(3, 0.25, 80, false)]
    [InlineData(1, 0.25, 96, true)]
    [InlineData(3, 0.25, 80, true)]
    public async Task StitchedRegionsAreByteIdenticalToTheWholeImage(int classes, double overlap, int regionSize, bool tta)
    {
        const int width = 301, height = 227;
        var png = EngineTestKit.Ellipses(width, height, seed: 21);
        var truth = Truth(width, height, classes);
        var model = classes == 1
            ? EngineTestKit.Amplified(png, seed: 5, tileSize: Tile)
            : EngineTestKit.Balanced(png, classes, tileSize: Tile);
        var options = new SegmentationOptions { Overlap = overlap, Probabilities = true, Overlays = true, BatchSize = 3, Tta = tta };
        using var engine = EngineTestKit.Engine(model, options);
        var whole = await engine.SegmentAsync("big.png", png, new GroundTruth("big-mask.png", truth), CancellationToken.None);

        var regions = RegionPlanner.Split(width, height, Tile, overlap, regionSize);
        Assert.True(regions.Count >= 4, $"{regions.Count} regions: the test needs the image cut both ways.");
        var parts = new List<RegionPart>();
        foreach (var region in regions.Reverse())
        {
            var part = await engine.SegmentRegionAsync("big.png", png, region, new GroundTruth("big-mask.png", truth), CancellationToken.None);
            // Through the stored form, as parts travel between machines.
            parts.Add(RegionPart.Decode(part.Encode()));
        }

        var preview = new ImageDecoder(new ImageDecoderOptions()).DecodePreview("big.png", png);
        var stitched = new RegionStitcher(new MaskWriter(new OverlayOptions())).Stitch("big.png", parts, preview);

        Assert.Equal(whole.MaskPng, stitched.MaskPng);
        Assert.Equal(whole.ProbabilityPng, stitched.ProbabilityPng);
        Assert.Equal(whole.OverlayPng, stitched.OverlayPng);
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
        var labels = EngineTestKit.ReadPng(whole.MaskPng).Samples.CountBy(l => l).ToList();
        Assert.True(labels.Count >= 2 && labels.All(l => l.Value > width * height / 50), string.Join(", ", labels));
    }

    [Fact]
    public async Task ARegionDecodesAndInfersOnlyTheTilesThatTouchIt()
    {
        const int width = 400, height = 300;
        var png = EngineTestKit.Ellipses(width, height, seed: 4);
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));
        var grid = new TileGrid(height, width, Tile, engine.Overlap);
        var region = new PixelRect(100, 80, 90, 70);

        var part = await engine.SegmentRegionAsync("big.png", png, region, null, CancellationToken.None);

        Assert.Equal(grid.TilesTouching(region).Count, part.Tiles);
        Assert.True(part.Tiles < grid.Tiles.Count / 3, $"{part.Tiles} of {grid.Tiles.Count} tiles");
        Assert.Equal((width, height, region), (part.ImageWidth, part.ImageHeight, part.Region));
        Assert.Equal(region.Area, part.Labels.LongLength);
        Assert.Null(part.Probability);
        Assert.Null(part.Quality);
    }

    [Fact]
    public async Task AGroundTruthOfAnotherSizeIsRefusedNamingBothFiles()
    {
        var png = EngineTestKit.Ellipses(200, 150, seed: 4);
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));

        var error = await Assert.ThrowsAsync<ImageRejectedException>(() => engine.SegmentRegionAsync(
            "big.png", png, new PixelRect(0, 0, 100, 75), new GroundTruth("big-mask.png", Truth(199, 150, 1)), CancellationToken.None));

        Assert.Equal("big-mask.png", error.ImageName);
        Assert.Contains("199×150", error.Message, StringComparison.Ordinal);
        Assert.Contains("big.png is 200×150", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACorruptImageIsRefusedForARegionAsForTheWholeImage()
    {
        var png = EngineTestKit.Ellipses(200, 150, seed: 4);
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));

        var error = await Assert.ThrowsAsync<ImageRejectedException>(() => engine.SegmentRegionAsync(
            "big.png", png[..(png.Length / 2)], new PixelRect(0, 100, 200, 50), null, CancellationToken.None));

        Assert.Equal("big.png", error.ImageName);
    }

    [Fact]
    public void StitchingRefusesPartsThatDoNotCoverTheImageExactlyOnce()
    {
        var stitcher = new RegionStitcher(new MaskWriter(new OverlayOptions()));
        var left = Part(new PixelRect(0, 0, 10, 8));
        var right = Part(new PixelRect(10, 0, 10, 8));
        var overlapping = Part(new PixelRect(5, 0, 15, 8));

        Assert.Equal((20, 8), (stitcher.Stitch("a.png", [left, right], null).Width, 8));
        Assert.Contains("cover 80 of the image's 160 pixels", Assert.Throws<InvalidDataException>(() => stitcher.Stitch("a.png", [left], null)).Message, StringComparison.Ordinal);
        Assert.Contains("overlap", Assert.Throws<InvalidDataException>(() => stitcher.Stitch("a.png", [left, overlapping], null)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => stitcher.Stitch("a.png", [], null));
    }

    [Fact]
    public void APartSurvivesItsStoredFormAndADamagedOneIsRefused()
    {
        var part = Part(new PixelRect(3, 0, 10, 8), probability: true);
        var copy = RegionPart.Decode(part.Encode());

        Assert.Equal((part.ImageWidth, part.ImageHeight, part.Region, part.Classes, part.Tiles), (copy.ImageWidth, copy.ImageHeight, copy.Region, copy.Classes, copy.Tiles));
        Assert.Equal(part.Labels, copy.Labels);
        Assert.Equal(part.Probability, copy.Probability);
        Assert.Equal(part.Totals.Pixels, copy.Totals.Pixels);
        Assert.Equal(part.Totals.ProbabilitySums, copy.Totals.ProbabilitySums);
        Assert.Equal(part.Quality, copy.Quality);

        var encoded = part.Encode();
        Assert.Throws<InvalidDataException>(() => RegionPart.Decode(encoded[..(encoded.Length - 10)]));
        Assert.Throws<InvalidDataException>(() => RegionPart.Decode(TestImages.Png(new byte[4], 2, 2, 1)));
    }

    [Theory]
    [InlineData(1000, 700, 64, 0.25, 200, 6, 4)]
    [InlineData(1000, 700, 64, 0.25, 10, 21, 15)]
    [InlineData(100, 70, 64, 0.25, 500, 1, 1)]
    public void RegionsCoverTheImageAlongTileStarts(int width, int height, int tile, double overlap, int regionSize, int columns, int rows)
    {
        var regions = RegionPlanner.Split(width, height, tile, overlap, regionSize);
        var stride = TileGrid.StrideFor(tile, overlap);

        Assert.Equal(columns * rows, regions.Count);
        Assert.Equal((long)width * height, regions.Sum(r => r.Area));
        Assert.All(regions, r => Assert.True(r.X % stride == 0 && r.Y % stride == 0, $"{r} does not start on a tile start"));
        Assert.All(regions, r => Assert.True(PixelRect.Whole(width, height).Contains(r), $"{r} is outside the image"));
        Assert.DoesNotContain(regions.SelectMany((r, i) => regions.Skip(i + 1).Where(r.Intersects)), _ => true);
    }

    /// <summary>A ground truth of bands: class k (or 255 for one class) in every third band of rows.</summary>
    private static byte[] Truth(int width, int height, int classes)
    {
        var pixels = new byte[width * height];
        for (var i = 0; i < pixels.Length; i++)
        {
            var band = (i / width / 17) % 3;
            pixels[i] = classes == 1 ? (byte)(band == 0 ? 255 : 0) : (byte)(band % classes);
        }

        return TestImages.Png(pixels, width, height, 1);
    }

    private static RegionPart Part(PixelRect region, bool probability = false)
    {
        var labels = Enumerable.Range(0, (int)region.Area).Select(i => (byte)(i % 3 == 0 ? 255 : 0)).ToArray();
        var foreground = labels.Count(l => l == 255);
        return new RegionPart(20, 8, region, 1, 2, labels,
            probability ? [.. Enumerable.Range(0, (int)region.Area).Select(i => (ushort)(i * 97))] : null,
            new ClassTotals([0, foreground], [0, foreground * 0.75]),
            [SegmentationQuality.FromCounts(1, 5, foreground, 9)]);
    }
}
