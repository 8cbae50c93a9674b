using UNetPP.Cluster.Segmentation.Model;
using static TorchSharp.torch;
using static UNetPP.Cluster.Training.Tests.TrainingTestKit;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>The module's state is the seed's state dict, and it survives weights and safetensors both ways.</summary>
public sealed class NestedUNetWeightsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StateSurvivesWeightsAndSafetensors(bool deepSupervision)
    {
        var options = Small(deepSupervision);
        random.manual_seed(2);
        using var trained = new NestedUNet(options);
        RandomizeBatchNorm(trained, seed: 4);

        var path = Path.Combine(TempDirectory(), "weights.safetensors");
        trained.ToWeights().SaveSafetensors(path);
        var loaded = NestedUNetWeights.LoadSafetensors(path, options);
        using var restored = NestedUNet.FromWeights(loaded);
        Assert.DoesNotContain(1f, loaded.Values("conv0_0.bn1.running_var"));

        // TorchSharp lists parameters before buffers, PyTorch module by module, so only the names must agree.
        var names = trained.state_dict().Keys.Where(n => !n.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), loaded.Names.Order(StringComparer.Ordinal));
        var before = trained.state_dict();
        var after = restored.state_dict();
        foreach (var name in names)
        {
            Assert.Equal(before[name].shape, after[name].shape);
            Assert.Equal(before[name].data<float>().ToArray(), after[name].data<float>().ToArray());
        }
    }

    [Fact]
    public void WeightsSurviveTheModule()
    {
        var options = Small();
        var weights = NestedUNetWeights.CreateInitial(options, seed: 9);

        using var module = NestedUNet.FromWeights(weights);
        var copy = module.ToWeights();

        Assert.Equal(weights.Names, copy.Names);
        foreach (var name in weights.Names)
        {
            Assert.Equal(weights.ShapeOf(name), copy.ShapeOf(name));
            Assert.Equal(weights.Values(name), copy.Values(name));
        }
    }

    [Fact]
    public void WeightsOfAnotherWidthAreRefusedByName()
    {
        using var module = new NestedUNet(Small());
        var wider = NestedUNetWeights.CreateInitial(Small() with { Filters = [8, 16, 32, 64, 128] }, seed: 1);

        var error = Assert.Throws<ArgumentException>(() => module.LoadWeights(wider));

        Assert.Contains("conv0_0.conv1.weight is [8, 3, 3, 3] in the weights but [4, 3, 3, 3] here", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WeightsWithOtherHeadsAreRefusedByName()
    {
        using var module = new NestedUNet(Small(deepSupervision: true));
        var oneHead = NestedUNetWeights.CreateInitial(Small(deepSupervision: false), seed: 1);

        var error = Assert.Throws<ArgumentException>(() => module.LoadWeights(oneHead));

        Assert.Contains("final.weight is not part of this module", error.Message, StringComparison.Ordinal);
        Assert.Contains("final1.weight is missing from the weights", error.Message, StringComparison.Ordinal);
    }
}
