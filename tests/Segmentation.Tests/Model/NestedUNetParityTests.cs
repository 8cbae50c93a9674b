using UNetPP.Cluster.Segmentation.Model;
using static UNetPP.Cluster.Segmentation.Tests.Model.ModelTestKit;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

/// <summary>The built ONNX graph, run by ONNX Runtime, computes what the PyTorch module computes.</summary>
public sealed class NestedUNetParityTests
{
    private const float Tolerance = 1e-4f;

    [Theory]
    [InlineData(2, 3, 1, 96, 96)]
    [InlineData(1, 3, 1, 97, 131)]
    [InlineData(1, 3, 1, 17, 23)]
    [InlineData(1, 1, 3, 32, 32)]
    public void EveryHeadMatchesTheReference(int batch, int inChannels, int classes, int height, int width)
    {
        var options = Small(inChannels, classes);
        var weights = Weights(options);
        var model = NestedUNetBuilder.Build(options, weights);
        var input = RandomInput(batch, inChannels, height, width);

        var expected = new NestedUNetReference(weights).Heads(input);
        var actual = Run(model, input, [.. NestedUNetBuilder.HeadNames(true)]);

        for (var k = 0; k < expected.Count; k++)
        {
            Assert.Equal([batch, classes, height, width], new[] { expected[k].N, expected[k].C, expected[k].H, expected[k].W });
            Assert.True(expected[k].Data.Max(Math.Abs) > 1e-2f, "the reference output is too flat to compare");
            Assert.InRange(MaxAbsDifference(expected[k].Data, actual[k]), 0f, Tolerance);
        }
    }

    [Fact]
    public void SingleHeadModelMatchesTheReference()
    {
        var options = Small(deepSupervision: false);
        var weights = Weights(options);
        var input = RandomInput(1, 3, 33, 40);

        var expected = new NestedUNetReference(weights).Heads(input).Single();
        var actual = Run(NestedUNetBuilder.Build(options, weights), input, "final").Single();

        Assert.InRange(MaxAbsDifference(expected.Data, actual), 0f, Tolerance);
    }

    [Fact]
    public void DefaultWidthModelMatchesTheReference()
    {
        var options = new NestedUNetOptions();
        var weights = Weights(options);
        var input = RandomInput(1, 3, 24, 20);

        var expected = new NestedUNetReference(weights).Heads(input);
        var actual = Run(NestedUNetBuilder.Build(options, weights), input, [.. NestedUNetBuilder.HeadNames(true)]);

        for (var k = 0; k < expected.Count; k++)
        {
            Assert.InRange(MaxAbsDifference(expected[k].Data, actual[k]), 0f, Tolerance);
        }
    }
}
