using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Segmentation.Tests.Instances;

/// <summary>Touching nuclei told apart from a mask and its probabilities.</summary>
public sealed class InstanceSeparationTests
{
    [Fact]
    public void ADimSeamSplitsARegionThatTheShapeAloneKeepsWhole()
    {
        // A 19×5 bar (background around it) with no waist: its distance map has one flat ridge.
        const int width = 21, height = 7;
        var mask = new bool[width * height];
        var probabilities = new float[width * height];
        for (var y = 1; y < height - 1; y++)
        {
            for (var x = 1; x < width - 1; x++)
            {
                mask[(y * width) + x] = true;
                probabilities[(y * width) + x] = x == 10 ? 0.3f : 0.95f;
            }
        }

        var shape = InstanceSeparation.Label(probabilities, mask, width, height, new InstanceSettings(0, 0.5, 0, 1));
        var seam = InstanceSeparation.Label(probabilities, mask, width, height, new InstanceSettings(0, 0.5, 1, 1));

        Assert.Equal(1, shape.Max());
        Assert.Equal(2, seam.Max());
        Assert.NotEqual(seam[(3 * width) + 5], seam[(3 * width) + 15]);
    }

    [Fact]
    public void TheShapeOfATrueCrowdedMaskSeparatesItsNuclei()
    {
        var field = new SyntheticNuclei(256, 256, seed: 13, crowded: true).Draw(0);
        var mask = field.Mask.Select(m => m > 0).ToArray();
        var probabilities = mask.Select(m => m ? 1f : 0f).ToArray();
        var truth = field.Labels.Select(id => (int)id).ToArray();

        var components = InstanceMatching.Score(InstanceSeparation.Label(probabilities, mask, 256, 256, new InstanceSettings(0, double.PositiveInfinity, 0, 20)), truth);
        var separated = InstanceMatching.Score(InstanceSeparation.Label(probabilities, mask, 256, 256, new InstanceSettings(0, 0.5, 0, 20)), truth);

        Assert.True(separated.F1 > 0.9, $"F1 {separated.F1:F3}");
        Assert.True(separated.Merges < components.Merges, $"{separated.Merges} merges against {components.Merges} for components");
    }
}
