using UNetPP.Cluster.Segmentation.Instances;

namespace UNetPP.Cluster.Segmentation.Tests.Instances;

/// <summary>The exact Euclidean distance map that the watershed's relief is made from.</summary>
public sealed class DistanceTransformTests
{
    [Fact]
    public void EveryPixelGetsItsDistanceToTheNearestBackgroundPixel()
    {
        const int width = 9, height = 7;
        var foreground = new bool[width * height];
        var background = new[] { (0, 0), (8, 6), (3, 5) };
        for (var i = 0; i < foreground.Length; i++)
        {
            foreground[i] = !background.Contains((i % width, i / width));
        }

        var distances = DistanceTransform.Euclidean(foreground, width, height);

        // Against every background pixel by brute force: exact, not a chamfer's near value.
        for (var i = 0; i < foreground.Length; i++)
        {
            var (x, y) = (i % width, i / width);
            var nearest = background.Min(b => Math.Sqrt(((x - b.Item1) * (x - b.Item1)) + ((y - b.Item2) * (y - b.Item2))));
            Assert.Equal(nearest, distances[i], 5);
        }
    }

    [Fact]
    public void TheImageEdgeIsNotBackground()
    {
        var foreground = LabelArt.Parse("111", "111", "11.").Select(v => v > 0).ToArray();

        var distances = DistanceTransform.Euclidean(foreground, 3, 3);

        Assert.Equal(Math.Sqrt(8), distances[0], 5);
        Assert.Equal(0, distances[8]);
    }
}
