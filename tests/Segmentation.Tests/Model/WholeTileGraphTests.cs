using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;
using static UNetPP.Cluster.Segmentation.Tests.Model.ModelTestKit;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

public sealed class WholeTileGraphTests
{
    private static readonly NestedUNetOptions Options = Small();
    private static readonly ModelProto Full = NestedUNetBuilder.Build(Options, Weights(Options));
    private static readonly ModelCard Card = ModelCard.ForNestedUNet(Options);

    [Theory]
    [InlineData(InferenceMode.L1)]
    [InlineData(InferenceMode.L2)]
    [InlineData(InferenceMode.L3)]
    [InlineData(InferenceMode.L4)]
    [InlineData(InferenceMode.Accurate)]
    public void OnTilesThePoolingDividesItGivesTheGeneralGraphsProbabilitiesWithoutPads(InferenceMode mode)
    {
        var general = ModeGraph.Select(Full, Card, mode);
        var whole = WholeTileGraph.For(general, Card, 32, 48);

        Assert.NotNull(whole);
        Assert.DoesNotContain(whole.Graph.Node, n => n.OpType is "Pad" or "Shape");
        Assert.Contains(general.Graph.Node, n => n.OpType == "Pad");
        var input = RandomInput(2, 3, 32, 48);
        var expected = Run(general, input, ModeGraph.OutputName).Single();
        var actual = Run(whole, input, ModeGraph.OutputName).Single();
        Assert.InRange(MaxAbsDifference(expected, actual), 0f, 1e-6f);
    }

    [Fact]
    public void ASizeThePoolingDoesNotDivideOrAnotherArchitectureKeepsItsPads()
    {
        var general = ModeGraph.Select(Full, Card, InferenceMode.L4);

        // L4 pools four times: 16 must divide both sides; L1 pools once, so any even size will do.
        Assert.Null(WholeTileGraph.For(general, Card, 40, 48));
        Assert.Null(WholeTileGraph.For(general, Card with { Architecture = "SomethingElse" }, 32, 48));
        Assert.NotNull(WholeTileGraph.For(ModeGraph.Select(Full, Card, InferenceMode.L1), Card, 38, 42));
    }
}
