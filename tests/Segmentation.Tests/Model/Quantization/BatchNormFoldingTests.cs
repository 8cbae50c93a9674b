using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Model.Quantization;

namespace UNetPP.Cluster.Segmentation.Tests.Model.Quantization;

public sealed class BatchNormFoldingTests
{
    [Fact]
    public void FoldingEveryBatchNormIntoItsConvLeavesTheHeadsAsTheyWere()
    {
        // Weights with batch norm statistics far from the identity, so that a wrong fold shows.
        var options = ModelTestKit.Small();
        var model = NestedUNetBuilder.Build(options, ModelTestKit.Weights(options), ModelCard.ForNestedUNet(options));
        var folded = model.Clone();

        var count = BatchNormFolding.Fold(folded.Graph);

        Assert.Equal(30, count);
        Assert.DoesNotContain(folded.Graph.Node, n => n.OpType == "BatchNormalization");
        var input = ModelTestKit.RandomInput(2, 3, 48, 64);
        var heads = NestedUNetBuilder.HeadNames(deepSupervision: true).ToArray();
        var before = ModelTestKit.Run(model, input, heads);
        var after = ModelTestKit.Run(folded, input, heads);
        for (var k = 0; k < heads.Length; k++)
        {
            Assert.InRange(ModelTestKit.MaxAbsDifference(before[k], after[k]), 0, 1e-4f);
        }
    }
}
