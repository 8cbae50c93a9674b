using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Segmentation.Tests.Synthetic;

/// <summary>The synthetic nuclei behind <c>unetpp nuclei</c>, the samples and the shipped model's training set.</summary>
public sealed class SyntheticNucleiTests
{
    [Fact]
    public void TheGeneratorIsDeterministicFromItsSeed()
    {
        var a = new SyntheticNuclei(80, 60, seed: 5).Create(2);
        var b = new SyntheticNuclei(80, 60, seed: 5).Create(2);
        var c = new SyntheticNuclei(80, 60, seed: 6).Create(2);

        Assert.Equal(a.ImagePng, b.ImagePng);
        Assert.Equal(a.MaskPng, b.MaskPng);
        Assert.NotEqual(a.ImagePng, c.ImagePng);
    }
}
