using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

public sealed class ModelFiguresTests
{
    private static readonly NestedUNetOptions Options = new();
    private static readonly ModelCard Card = ModelCard.ForNestedUNet(Options);
    private static readonly ModelProto Full = NestedUNetBuilder.Build(Options, NestedUNetWeights.CreateInitial(Options, 0), Card);

    /// <summary>The reference figures of DESIGN.md (the article's table for this architecture at 96 × 96).</summary>
    [Theory]
    [InlineData(InferenceMode.L1, 103_041, 0.56)]
    [InlineData(InferenceMode.L2, 519_105, 1.45)]
    [InlineData(InferenceMode.L3, 2_236_161, 2.85)]
    [InlineData(InferenceMode.L4, 9_163_428, 4.85)]
    [InlineData(InferenceMode.Accurate, 9_163_428, 4.85)]
    public void DefaultModelMatchesTheReferenceFigures(InferenceMode mode, long parameters, double gigaMacs)
    {
        var figures = ModelFigures.Measure(Full, Card, mode, 96, 96);

        Assert.Equal(parameters, figures.Parameters);
        Assert.NotNull(figures.MultiplyAccumulates);
        Assert.Equal(gigaMacs, Math.Round(figures.MultiplyAccumulates.Value / 1e9, 2));
    }

    [Fact]
    public void FullModelParametersAreTheLearnableWeightsOfTheGraph()
    {
        var learnable = Full.Graph.Initializer
            .Where(t => !t.Name.Contains("running_", StringComparison.Ordinal) && !t.Name.StartsWith("up.", StringComparison.Ordinal))
            .Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));

        Assert.Equal(9_163_428, learnable);
    }

    [Fact]
    public void NodeCountsGrowWithTheLevel()
    {
        var figures = ModelFigures.MeasureAll(Full, Card, 96, 96);

        Assert.Equal(Enum.GetValues<InferenceMode>(), figures.Select(f => f.Mode));
        var nodes = figures.Select(f => f.Nodes).ToList();
        Assert.True(nodes[0] < nodes[1] && nodes[1] < nodes[2] && nodes[2] < nodes[3], string.Join(" < ", nodes));
        Assert.True(nodes[4] > nodes[3], "accurate runs every head, so it has more nodes than L4");
    }

    [Fact]
    public void ForeignCardsCountParametersFromTheGraph()
    {
        var card = Card with { Architecture = "exported", Filters = [] };

        var figures = ModelFigures.Measure(Full, card, InferenceMode.L1, 96, 96);

        Assert.Equal(103_041, figures.Parameters);
        Assert.Null(figures.MultiplyAccumulates);
    }
}
