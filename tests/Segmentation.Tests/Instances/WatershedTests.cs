using UNetPP.Cluster.Segmentation.Instances;

namespace UNetPP.Cluster.Segmentation.Tests.Instances;

/// <summary>The flooding that separates touching nuclei, on reliefs drawn by hand.</summary>
public sealed class WatershedTests
{
    // Two peaks (9 and 7) on one region, meeting at level 3.
    private static readonly float[] TwoPeaks = [1, 5, 9, 5, 3, 4, 7, 4, 1];
    private static readonly bool[] Whole = [.. TwoPeaks.Select(_ => true)];

    [Fact]
    public void PeaksDeepEnoughBecomeObjectsOfTheirOwn()
    {
        var labels = Watershed.Flood(TwoPeaks, Whole, 9, 1, minimumDepth: 2, minObjectSize: 1);

        // The saddle pixel (3) goes to the side of its higher neighbour (5 against 4).
        Assert.Equal([1, 1, 1, 1, 1, 2, 2, 2, 2], labels);
    }

    [Fact]
    public void APeakShallowerThanTheMinimumDepthJoinsItsNeighbour()
    {
        // The lower peak stands 7 − 3 = 4 above the saddle.
        var labels = Watershed.Flood(TwoPeaks, Whole, 9, 1, minimumDepth: 4.5, minObjectSize: 1);

        Assert.All(labels, id => Assert.Equal(1, id));
    }

    [Fact]
    public void AnInfiniteDepthGivesTheMasksConnectedRegions()
    {
        var mask = LabelArt.Parse("11..1", "...11", "1....").Select(v => v > 0).ToArray();
        var relief = new float[mask.Length];
        Array.Fill(relief, 1f);

        var labels = Watershed.Flood(relief, mask, 5, 3, double.PositiveInfinity, minObjectSize: 1);

        Assert.Equal(LabelArt.Parse("11..2", "...22", "3...."), labels);
    }

    [Fact]
    public void ObjectsUnderTheMinimumSizeAreLeftOutAndIdsStayContiguous()
    {
        var mask = LabelArt.Parse("1.111", "..111").Select(v => v > 0).ToArray();
        var relief = new float[mask.Length];
        Array.Fill(relief, 1f);

        var labels = Watershed.Flood(relief, mask, 5, 2, double.PositiveInfinity, minObjectSize: 2);

        Assert.Equal(LabelArt.Parse("..111", "..111"), labels);
    }

    [Fact]
    public void TiesAreSettledByPixelOrderSoEveryRunAgrees()
    {
        // A flat plateau with two equal peaks either side of a dip: the same labels every time.
        float[] relief = [2, 2, 1, 2, 2];
        bool[] mask = [true, true, true, true, true];

        var first = Watershed.Flood(relief, mask, 5, 1, minimumDepth: 0.5, minObjectSize: 1);

        Assert.Equal([1, 1, 1, 2, 2], first);
        Assert.Equal(first, Watershed.Flood(relief, mask, 5, 1, minimumDepth: 0.5, minObjectSize: 1));
    }
}
