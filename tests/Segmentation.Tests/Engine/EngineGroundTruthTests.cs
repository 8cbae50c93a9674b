using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Tests.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>Scores against ground truth, with the seed's definitions (p &gt; 0.5, smooth 1e-5).</summary>
public sealed class EngineGroundTruthTests
{
    private const int Tile = 64;

    [Fact]
    public async Task TheImagesOwnMaskAsGroundTruthScoresOne()
    {
        var png = EngineTestKit.Ellipses(100, 80, seed: 12, count: 4);
        var model = EngineTestKit.Amplified(png, seed: 5, tileSize: Tile);
        using var engine = EngineTestKit.Engine(model);
        var first = await engine.SegmentAsync("image.png", png, null, CancellationToken.None);
        Assert.Null(first.Quality);

        var scored = await engine.SegmentAsync("image.png", png, new GroundTruth("truth.png", first.MaskFile), CancellationToken.None);

        var quality = Assert.Single(scored.Quality!);
        Assert.Equal(1, quality.ClassIndex);
        Assert.Equal(1.0, quality.IoU, 1e-6);
        Assert.Equal(1.0, quality.Dice, 1e-6);
        Assert.Equal(first.Summary.Classes[0].PixelCount, quality.PredictedPixels);
        Assert.Equal(quality.PredictedPixels, quality.TruthPixels);
        Assert.Equal(quality.PredictedPixels, quality.Intersection);
        Assert.InRange(quality.PredictedPixels, 100 * 80 / 10, 100 * 80 * 9 / 10);
    }

    [Fact]
    public async Task AnEmptyPredictionScoresOneAgainstAnEmptyTruthAndNearZeroAgainstAFullOne()
    {
        const int width = 90, height = 70;
        var weights = EngineTestKit.Weights();
        weights.Values("final.bias")[0] = -60f;
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(weights, Tile));
        var png = EngineTestKit.Ellipses(width, height, seed: 13, count: 4);
        var empty = TestImages.Png(new byte[width * height], width, height, 1);
        var full = TestImages.Png(Enumerable.Repeat((byte)255, width * height).ToArray(), width, height, 1);

        var againstEmpty = await engine.SegmentAsync("image.png", png, new GroundTruth("empty.png", empty), CancellationToken.None);
        var againstFull = await engine.SegmentAsync("image.png", png, new GroundTruth("full.png", full), CancellationToken.None);

        Assert.Equal(0, againstEmpty.Summary.Classes[0].PixelCount);
        var none = Assert.Single(againstEmpty.Quality!);
        Assert.Equal((0L, 0L, 0L, 0L), (none.Intersection, none.Union, none.PredictedPixels, none.TruthPixels));
        Assert.Equal(1.0, none.IoU, 1e-6);
        Assert.Equal(1.0, none.Dice, 1e-6);

        var all = Assert.Single(againstFull.Quality!);
        Assert.Equal(width * height, all.TruthPixels);
        Assert.Equal(SegmentationQuality.Smooth / (width * height + SegmentationQuality.Smooth), all.IoU, 1e-12);
        Assert.Equal(SegmentationQuality.Smooth / (width * height + SegmentationQuality.Smooth), all.Dice, 1e-12);
    }

    [Fact]
    public async Task AGroundTruthOfAnotherSizeIsRefusedNamingBothFilesBeforeAnyTileIsInferred()
    {
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));
        var png = EngineTestKit.Ellipses(100, 80, seed: 14, count: 4);
        var truth = TestImages.Png(new byte[80 * 100], 80, 100, 1);

        var refused = await Assert.ThrowsAsync<ImageRejectedException>(
            () => engine.SegmentAsync("images/cells.png", png, new GroundTruth("masks/cells.png", truth), CancellationToken.None));

        Assert.Equal("masks/cells.png", refused.ImageName);
        Assert.StartsWith("masks/cells.png: ", refused.Message, StringComparison.Ordinal);
        Assert.Contains("images/cells.png", refused.Message, StringComparison.Ordinal);
        Assert.Contains("80×100", refused.Message, StringComparison.Ordinal);
        Assert.Contains("100×80", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.Batching.Tiles);
    }
}
