using UNetPP.Cluster.Segmentation.Model.Quantization;

namespace UNetPP.Cluster.Segmentation.Tests.Model.Quantization;

public sealed class ActivationRangeTests
{
    [Fact]
    public void APercentileRangeLeavesOutTheRareLargestValuesOfANonNegativeActivation()
    {
        // 0, 1, …, 9 999 once each, and one outlier at 1 000 000: 99.9 % cuts the top ten values and the outlier.
        var histogram = new ActivationHistogram("relu");
        histogram.Add([.. Enumerable.Range(0, 10_000).Select(v => (float)v), 1_000_000f]);

        var range = ActivationRange.Choose(histogram, RangeMethod.Percentile, 99.9);

        Assert.Equal(0, range.Low);
        Assert.InRange(range.High, 9_900, 10_500);
        Assert.Equal(new ActivationRange(0, 1_000_000), ActivationRange.Choose(histogram, RangeMethod.Percentile, 100));
    }

    [Fact]
    public void ASignedActivationLosesHalfItsTailOnEachSide()
    {
        var histogram = new ActivationHistogram("input");
        histogram.Add([.. Enumerable.Range(-5_000, 10_000).Select(v => v / 1000f)]);

        var range = ActivationRange.Choose(histogram, RangeMethod.Percentile, 99);

        Assert.InRange(range.Low, -5f, -4.9f);
        Assert.InRange(range.High, 4.9f, 5f);
    }

    [Fact]
    public void EntropyClipsAFewFarOutliersButKeepsTheBulk()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 200_000).Select(_ => (float)-Math.Log(1 - random.NextDouble())).ToList();
        values.AddRange(Enumerable.Repeat(60f, 5));
        var histogram = new ActivationHistogram("relu");
        histogram.Add([.. values]);

        var range = ActivationRange.Choose(histogram, RangeMethod.Entropy, 0);

        // Exponential values: 99.9 % lie below 6.9; the outliers at 60 would waste nine tenths of the steps.
        Assert.InRange(range.Low, 0, 1e-3f);
        Assert.InRange(range.High, 5, 30);
    }

    [Fact]
    public void HistogramBinsWidenWhenLargerValuesComeLater()
    {
        var histogram = new ActivationHistogram("x");
        histogram.Add([1f, 2f]);
        histogram.Add([100f]);

        Assert.Equal(3, histogram.Count);
        Assert.True(histogram.Positive.Edge > 100);
        Assert.Equal(3, histogram.Positive.Counts.ToArray().Sum());
    }

    [Fact]
    public void AReluRangeQuantisesZeroExactlyWithZeroPointZero()
    {
        Assert.Equal(new UInt8Scale(4f / 255, 0), UInt8Scale.For(new ActivationRange(0, 4)));
        var signed = UInt8Scale.For(new ActivationRange(-2, 2));
        Assert.InRange(signed.ZeroPoint, 127, 128);
        Assert.Equal(new UInt8Scale(1, 0), UInt8Scale.For(new ActivationRange(0, 0)));
    }

    [Fact]
    public void WeightsAreSymmetricPerOutputChannelAndTheBiasUsesTheProductOfScales()
    {
        var weights = Int8Weights.Quantize([0.5f, -1f, 0.25f, 2f, 0f, -2f], outputs: 2);

        Assert.Equal([1f / 127, 2f / 127], weights.Scales);
        Assert.Equal([64, -127, 32, 127, 0, -127], weights.Values.Select(v => (int)v));
        var (bias, scales) = weights.QuantizeBias([0.1f, -0.1f], inputScale: 0.5f);
        Assert.Equal([0.5f / 127, 1f / 127], scales);
        Assert.Equal([25, -13], bias);
    }
}
