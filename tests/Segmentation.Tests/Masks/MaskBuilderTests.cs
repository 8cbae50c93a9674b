using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Tests.Masks;

public sealed class MaskBuilderTests
{
    [Fact]
    public void OneOutputIsThresholdedTo0Or255()
    {
        var mask = MaskBuilder.Build([0.49f, 0.5f, 0.9f, 0f], 1, 2, 2);
        Assert.Equal([0, 255, 255, 0], mask.Labels);
        Assert.Equal(1, mask.ForegroundClasses);
        Assert.Equal([0, 0, 255, 0], MaskBuilder.Build([0.49f, 0.5f, 0.9f, 0f], 1, 2, 2, threshold: 0.8f).Labels);
    }

    [Fact]
    public void SeveralOutputsTakeTheArgmaxWithTiesToTheLowestClass()
    {
        float[] probabilities =
        [
            0.7f, 0.2f, 0.4f,   // class 0 (ties class 1 in the last pixel)
            0.2f, 0.7f, 0.4f,   // class 1
            0.1f, 0.1f, 0.2f,   // class 2
        ];
        var mask = MaskBuilder.Build(probabilities, 3, 1, 3);
        Assert.Equal([0, 1, 0], mask.Labels);
        Assert.Equal(2, mask.ForegroundClasses);
    }

    [Fact]
    public void ProbabilityMapIsForegroundProbabilityIn16Bits()
    {
        Assert.Equal([0, 32768, 65535, 65535, 0], MaskBuilder.ProbabilityMap16([0f, 0.5f, 1f, 1.2f, -0.1f], 1, 1, 5));
        Assert.Equal([65535, 16384], MaskBuilder.ProbabilityMap16([0f, 0.75f, 0.6f, 0.1f, 0.4f, 0.15f], 3, 1, 2));
    }

    [Fact]
    public void ShapeMustMatch() =>
        Assert.Throws<ArgumentException>(() => MaskBuilder.Build(new float[5], 1, 2, 2));
}
