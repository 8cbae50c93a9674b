using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Tests.Masks;

public sealed class MaskStatisticsTests
{
    /// <summary>A binary mask from rows of '#' (foreground) and '.' characters.</summary>
    private static SegmentationMask Binary(params string[] rows) =>
        new(rows[0].Length, rows.Length, 1, rows.SelectMany(r => r.Select(ch => ch == '#' ? (byte)255 : (byte)0)).ToArray());

    private static ClassMaskSummary Only(SegmentationMask mask) =>
        Assert.Single(MaskStatistics.Summarise(mask, Enumerable.Repeat(0.75f, mask.Labels.Length).ToArray()).Classes);

    [Fact]
    public void DiagonallyTouchingPixelsAreOneObject()
    {
        var summary = Only(Binary(
            "#..",
            ".#.",
            "..#"));
        Assert.Equal([3], summary.ObjectAreas);
        Assert.Equal(1, Only(Binary(".#", "#.")).ObjectCount);
    }

    [Fact]
    public void SeparateShapesAreCountedAndSortedLargestFirst()
    {
        var summary = Only(Binary(
            "###.......",
            "###....##.",
            "###....##.",
            "..........",
            "#........#"));
        Assert.Equal([9, 4, 1, 1], summary.ObjectAreas);
        Assert.Equal((4, 1, 9), (summary.ObjectCount, summary.MinArea, summary.MaxArea));
        Assert.Equal(2.5, summary.MedianArea);
        Assert.Equal(15 / 4.0, summary.MeanArea);
        Assert.Equal(15, summary.PixelCount);
        Assert.Equal(15 / 50.0, summary.ForegroundFraction);
        Assert.Equal(0.75, summary.MeanProbability, 1e-9);
    }

    [Fact]
    public void BranchesJoinedLaterAreOneObject()
    {
        // Arms first seen as separate labels merge at the bottom rows; the W shape needs several merges.
        var summary = Only(Binary(
            "#.#.#.#",
            "#.#.#.#",
            "#.#.#.#",
            "#######",
            "...#..."));
        Assert.Equal([20], summary.ObjectAreas);
    }

    [Fact]
    public void EmptyMaskHasNoObjects()
    {
        var summary = Only(Binary("...", "..."));
        Assert.Equal((0, 0, 0, 0.0, 0.0, 0.0), (summary.ObjectCount, summary.MinArea, summary.MaxArea, summary.MedianArea, summary.MeanArea, summary.MeanProbability));
    }

    [Fact]
    public void ClassesAreSeparatedAndMeanProbabilityUsesTheClassPlane()
    {
        // Classes 1 and 2 touch but are different objects; background elsewhere.
        byte[] labels = [1, 1, 2, 0, 0, 2];
        var mask = new SegmentationMask(3, 2, 3, labels);
        float[] probabilities =
        [
            0.2f, 0.3f, 0.1f, 0.9f, 0.8f, 0.1f,
            0.6f, 0.5f, 0.2f, 0.05f, 0.1f, 0.2f,
            0.2f, 0.2f, 0.7f, 0.05f, 0.1f, 0.7f,
        ];
        var summary = MaskStatistics.Summarise(mask, probabilities);
        Assert.Equal(2, summary.Classes.Count);
        Assert.Equal((1, 2L, 0.55), (summary.Classes[0].ClassIndex, summary.Classes[0].PixelCount, Math.Round(summary.Classes[0].MeanProbability, 6)));
        Assert.Equal([2], summary.Classes[0].ObjectAreas);
        Assert.Equal([2], summary.Classes[1].ObjectAreas);
        Assert.Equal(0.7, summary.Classes[1].MeanProbability, 1e-6);
    }

    [Fact]
    public void LongSerpentineObjectNeedsNoRecursion()
    {
        // A 2000×2000 serpentine is one object whose every pixel is reached through a long chain, the
        // case that overflows recursive flood fills.
        const int n = 2000;
        var labels = new byte[n * n];
        var area = 0;
        for (var y = 0; y < n; y++)
        {
            if (y % 2 == 0)
            {
                Array.Fill(labels, (byte)255, y * n, n);
                area += n;
            }
            else
            {
                labels[(y * n) + (y % 4 == 1 ? n - 1 : 0)] = 255;
                area++;
            }
        }

        var summary = Only(new SegmentationMask(n, n, 1, labels));
        Assert.Equal([area], summary.ObjectAreas);
    }
}
