using UNetPP.Cluster.Reporting;

namespace UNetPP.Cluster.Reporting.Tests;

public sealed class HistogramTests
{
    private static readonly double[] RoundSteps = [1, 2, 5];

    [Fact]
    public void NoValuesGiveNoBins()
    {
        Assert.Empty(Histogram.OfMeasurements([]).Bins);
        Assert.Empty(Histogram.OfCounts([]).Bins);
    }

    [Fact]
    public void OneValueGivesOneBinHoldingIt()
    {
        Assert.Equal([new HistogramBin(12.5, 12.5, 1)], Histogram.OfMeasurements([12.5]).Bins);
        Assert.Equal([new HistogramBin(7, 7, 1)], Histogram.OfCounts([7]).Bins);
    }

    [Fact]
    public void EqualValuesGiveOneBinHoldingThemAll()
    {
        Assert.Equal([new HistogramBin(0, 0, 40)], Histogram.OfMeasurements([.. Enumerable.Repeat(0.0, 40)]).Bins);
        Assert.Equal([new HistogramBin(3, 3, 40)], Histogram.OfCounts([.. Enumerable.Repeat(3, 40)]).Bins);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(12)]
    [InlineData(1000)]
    [InlineData(100_000)]
    public void ManyMeasurementsFallIntoAFewAdjacentRoundBinsThatHoldEachOnce(int count)
    {
        var random = new Random(count);
        var values = Enumerable.Range(0, count).Select(_ => 3 + (random.NextDouble() * 41.7)).ToList();

        var bins = Histogram.OfMeasurements(values).Bins;

        Assert.InRange(bins.Count, 1, 21);
        Assert.Equal(count, bins.Sum(b => b.Count));
        Assert.All(bins.Zip(bins.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));
        Assert.True(bins[0].From <= values.Min() && values.Max() <= bins[^1].To, $"{bins[0].From}…{bins[^1].To} misses {values.Min()}…{values.Max()}");
        var width = bins[0].To - bins[0].From;
        Assert.Contains(Math.Round(width / Math.Pow(10, Math.Floor(Math.Log10(width))), 6), RoundSteps);
        Assert.All(bins, b => Assert.Equal(values.Count(v => v >= b.From && (v < b.To || b == bins[^1])), b.Count));
    }

    [Fact]
    public void AValueOnTheTopEdgeIsInTheLastBin()
    {
        var bins = Histogram.OfMeasurements([0, 0.25, 0.5, 0.75, 1.0]).Bins;

        Assert.Equal(1.0, bins[^1].To);
        Assert.Equal(5, bins.Sum(b => b.Count));
    }

    [Fact]
    public void CountsAreBinnedInRunsOfWholeNumbers()
    {
        var bins = Histogram.OfCounts([0, 1, 1, 2, 9, 14, 30]).Bins;

        Assert.All(bins, b => Assert.Equal(Math.Floor(b.From), b.From));
        Assert.All(bins.Zip(bins.Skip(1)), pair => Assert.Equal(pair.First.To + 1, pair.Second.From));
        Assert.Equal(0, bins[0].From);
        Assert.InRange(30, bins[^1].From, bins[^1].To);
        Assert.Equal(7, bins.Sum(b => b.Count));
    }

    [Fact]
    public void FewDistinctCountsGetABinEach()
    {
        Assert.Equal(
            [new HistogramBin(4, 4, 2), new HistogramBin(5, 5, 0), new HistogramBin(6, 6, 1)],
            Histogram.OfCounts([4, 6, 4]).Bins);
    }
}
