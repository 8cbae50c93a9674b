using UNetPP.Cluster.Segmentation.Instances;

namespace UNetPP.Cluster.Segmentation.Tests.Instances;

/// <summary>Label images scored a row at a time, as a band-stitched image streams past, score as they do whole.</summary>
public sealed class InstanceScorerTests
{
    private const int Width = 41;
    private const int Height = 29;

    [Fact]
    public void RowByRowScoresEqualWholeImageScoresForRandomLabelImages()
    {
        var matched = 0;
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var (truth, predicted) = Pair(random);

            var whole = InstanceMatching.Score(predicted, truth);
            var scorer = new InstanceScorer();
            for (var y = 0; y < Height; y++)
            {
                scorer.AddRow(predicted.AsSpan(y * Width, Width), truth.AsSpan(y * Width, Width));
            }

            Assert.Equal(whole, scorer.Score());
            matched += whole.Matched;
        }

        // The images are alike enough to match objects, so matching is really exercised.
        Assert.True(matched > 40, $"only {matched} objects matched");
    }

    [Fact]
    public void RowsOfDifferentLengthsAreRefused()
    {
        var scorer = new InstanceScorer();

        Assert.Throws<ArgumentOutOfRangeException>(() => scorer.AddRow([1, 2], [1]));
    }

    [Fact]
    public void NoRowsScoreAsAnImageWithNothingToFind()
    {
        var scores = new InstanceScorer().Score();

        Assert.Equal((0, 0, 1.0, 1.0), (scores.TruthObjects, scores.PredictedObjects, scores.F1, scores.Dsb));
    }

    /// <summary>Rectangles with ids as truth; the same ones jittered under shuffled ids, and a few strays, as prediction.</summary>
    private static (int[] Truth, int[] Predicted) Pair(Random random)
    {
        var truth = new int[Width * Height];
        var predicted = new int[Width * Height];
        var objects = random.Next(1, 10);
        var ids = Enumerable.Range(1, objects + 3).OrderBy(_ => random.Next()).ToArray();
        for (var k = 0; k < objects + 3; k++)
        {
            var (x, y, w, h) = (random.Next(Width - 4), random.Next(Height - 4), random.Next(2, 12), random.Next(2, 10));
            if (k < objects)
            {
                Fill(truth, x, y, w, h, k + 1);
            }

            if (k < objects ? random.Next(4) > 0 : random.Next(2) == 0)
            {
                Fill(predicted, x + random.Next(-1, 2), y + random.Next(-1, 2), w + random.Next(-1, 2), h, ids[k]);
            }
        }

        return (truth, predicted);
    }

    private static void Fill(int[] image, int x, int y, int w, int h, int id)
    {
        for (var row = Math.Max(y, 0); row < Math.Min(y + h, Height); row++)
        {
            for (var column = Math.Max(x, 0); column < Math.Min(x + w, Width); column++)
            {
                image[(row * Width) + column] = id;
            }
        }
    }
}
