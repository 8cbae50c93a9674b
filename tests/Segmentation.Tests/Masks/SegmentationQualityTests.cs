using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Tests.Masks;

public sealed class SegmentationQualityTests
{
    [Fact]
    public void BinaryScoresMatchTheSeedsDefinitions()
    {
        // predicted (p > 0.5):      1    1    0    0    1    0
        // truth (label ≥ 128):      1    0    1    1    1    0
        float[] probabilities = [0.9f, 0.6f, 0.4f, 0.5f, 0.51f, 0.1f];
        var truth = new Gray8Image(3, 2, [255, 0, 255, 128, 200, 127]);

        var score = SegmentationQuality.Binary("a.png", probabilities, 3, 2, "a_mask.png", truth);

        // |P ∩ T| = 2, |P| = 3, |T| = 4, |P ∪ T| = 5.
        Assert.Equal((2L, 5L, 3L, 4L), (score.Intersection, score.Union, score.PredictedPixels, score.TruthPixels));
        Assert.Equal((2 + 1e-5) / (5 + 1e-5), score.IoU, 1e-12);
        Assert.Equal((4 + 1e-5) / (7 + 1e-5), score.Dice, 1e-12);
    }

    [Fact]
    public void TwoEmptyMasksScoreOne()
    {
        var score = SegmentationQuality.Binary("a.png", new float[4], 2, 2, "a_mask.png", new Gray8Image(2, 2, new byte[4]));
        Assert.Equal((1.0, 1.0), (score.IoU, score.Dice));
    }

    [Fact]
    public void GroundTruthOfAnotherSizeIsAnErrorNamingBothFiles()
    {
        var e = Assert.Throws<ImageRejectedException>(() =>
            SegmentationQuality.Binary("img/a.png", new float[6], 3, 2, "gt/a.png", new Gray8Image(2, 2, new byte[4])));
        Assert.Equal("gt/a.png: the ground-truth mask is 2×2 but the image img/a.png is 3×2", e.Message);
    }

    [Fact]
    public void PerClassScoresCoverForegroundClasses()
    {
        var mask = new SegmentationMask(4, 1, 3, [1, 1, 2, 0]);
        var truth = new Gray8Image(4, 1, [1, 2, 2, 2]);

        var scores = SegmentationQuality.PerClass("a.png", mask, "a_mask.png", truth);

        Assert.Equal([1, 2], scores.Select(s => s.ClassIndex));
        // Class 1: P = {0, 1}, T = {0} → I = 1, U = 2. Class 2: P = {2}, T = {1, 2, 3} → I = 1, U = 3.
        Assert.Equal((1 + 1e-5) / (2 + 1e-5), scores[0].IoU, 1e-12);
        Assert.Equal((2 + 1e-5) / (3 + 1e-5), scores[0].Dice, 1e-12);
        Assert.Equal((1 + 1e-5) / (3 + 1e-5), scores[1].IoU, 1e-12);
        Assert.Equal((2 + 1e-5) / (4 + 1e-5), scores[1].Dice, 1e-12);
    }
}
