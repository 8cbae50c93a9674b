using Google.Protobuf;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;
using static UNetPP.Cluster.Segmentation.Tests.Model.ModelTestKit;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

public sealed class ModeGraphTests
{
    private const float Tolerance = 1e-5f;

    private static readonly NestedUNetOptions Options = Small();
    private static readonly ModelProto Full = NestedUNetBuilder.Build(Options, Weights(Options));
    private static readonly ModelCard Card = ModelCard.ForNestedUNet(Options);
    private static readonly FeatureMap Input = RandomInput(1, 3, 37, 42);
    private static readonly float[][] HeadLogits = Run(Full, Input, [.. Card.HeadOutputs]);

    [Theory]
    [InlineData(InferenceMode.L1, 0)]
    [InlineData(InferenceMode.L2, 1)]
    [InlineData(InferenceMode.L3, 2)]
    [InlineData(InferenceMode.L4, 3)]
    public void FastModeIsTheSigmoidOfItsHead(InferenceMode mode, int head)
    {
        var selected = ModeGraph.Select(Full, Card, mode);

        var probabilities = Run(selected, Input, ModeGraph.OutputName).Single();

        Assert.InRange(MaxAbsDifference(Sigmoid(HeadLogits[head]), probabilities), 0f, Tolerance);
        Assert.Equal(ModeGraph.OutputName, selected.Graph.Output.Single().Name);
    }

    [Fact]
    public void AccurateModeIsTheMeanOfAllHeads()
    {
        var selected = ModeGraph.Select(Full, Card, InferenceMode.Accurate);

        var probabilities = Run(selected, Input, ModeGraph.OutputName).Single();

        var heads = HeadLogits.Select(Sigmoid).ToList();
        var mean = Enumerable.Range(0, heads[0].Length).Select(p => heads.Average(h => h[p])).ToArray();
        Assert.InRange(MaxAbsDifference(mean, probabilities), 0f, Tolerance);
    }

    [Fact]
    public void PrunedL1KeepsOnlyTheNodesItsHeadNeeds()
    {
        var selected = ModeGraph.Select(Full, Card, InferenceMode.L1);

        var modules = selected.Graph.Node
            .Where(n => n.OpType == "Conv")
            .Select(n => n.Name.Split('.')[0])
            .ToHashSet();
        Assert.True(
            modules.SetEquals(["conv0_0", "conv1_0", "conv0_1", "final1"]),
            $"L1 convolves in {string.Join(", ", modules)}");
        var weightOwners = selected.Graph.Initializer.Select(t => t.Name.Split('.')[0]).ToHashSet();
        Assert.Subset(new HashSet<string> { "conv0_0", "conv1_0", "conv0_1", "final1", "up" }, weightOwners);
    }

    [Fact]
    public void FastModesAreStrictSubsetsOfTheFullGraph()
    {
        var full = NodeNames(Full);
        var previous = new HashSet<string>();
        foreach (var mode in new[] { InferenceMode.L1, InferenceMode.L2, InferenceMode.L3 })
        {
            var nodes = NodeNames(ModeGraph.Select(Full, Card, mode));
            Assert.ProperSubset(full, nodes);
            Assert.True(nodes.Count > previous.Count, $"{mode} should need more nodes than the level below");
            previous = nodes;
        }
    }

    [Fact]
    public void SelectDoesNotChangeTheFullModel()
    {
        var before = Full.ToByteArray();

        _ = ModeGraph.Select(Full, Card, InferenceMode.L1);
        _ = ModeGraph.Select(Full, Card, InferenceMode.Accurate);

        Assert.Equal(before, Full.ToByteArray());
    }

    [Fact]
    public void SelectKeepsTheCardAndRecordsTheMode()
    {
        var selected = ModeGraph.Select(Full, Card, InferenceMode.L2);

        Assert.Equal(Card.ToJson(), ModelCard.ReadFrom(selected)!.ToJson());
        Assert.Equal("L2", selected.MetadataProps.Single(p => p.Key == ModeGraph.ModeMetadataKey).Value);
    }

    [Fact]
    public void SoftmaxModelsGiveProbabilitiesAcrossClasses()
    {
        var options = Small(inChannels: 1, classes: 3);
        var full = NestedUNetBuilder.Build(options, Weights(options));
        var card = ModelCard.ForNestedUNet(options);
        var input = RandomInput(1, 1, 20, 24);

        var logits = Run(full, input, "final4").Single();
        var probabilities = Run(ModeGraph.Select(full, card, InferenceMode.L4), input, ModeGraph.OutputName).Single();

        var plane = 20 * 24;
        var expected = new float[logits.Length];
        for (var p = 0; p < plane; p++)
        {
            var max = Enumerable.Range(0, 3).Max(c => logits[(c * plane) + p]);
            var sum = Enumerable.Range(0, 3).Sum(c => MathF.Exp(logits[(c * plane) + p] - max));
            for (var c = 0; c < 3; c++)
            {
                expected[(c * plane) + p] = MathF.Exp(logits[(c * plane) + p] - max) / sum;
            }
        }

        Assert.InRange(MaxAbsDifference(expected, probabilities), 0f, Tolerance);
    }

    [Fact]
    public void SingleHeadModelsOfferOnlyL4()
    {
        var options = Small(deepSupervision: false);
        var full = NestedUNetBuilder.Build(options, Weights(options));
        var card = ModelCard.ForNestedUNet(options);

        Assert.Equal(["L4"], card.Modes);
        var error = Assert.Throws<ModelException>(() => ModeGraph.Select(full, card, InferenceMode.L2));
        Assert.Contains("L2", error.Message, StringComparison.Ordinal);
        Assert.Single(ModeGraph.Select(full, card, InferenceMode.L4).Graph.Output);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForeignGraphsThatAlreadyUseTheOutputNameWork(bool logits)
    {
        // x -> Relu -> "probabilities" (a graph output); plus an unused branch that pruning must drop.
        var graph = new GraphProto { Name = "foreign" };
        graph.Input.Add(Value("x", 1, 1, 2, 3));
        graph.Node.Add(Op("Relu", "x", ModeGraph.OutputName));
        graph.Node.Add(Op("Neg", "x", "unused"));
        graph.Output.Add(Value(ModeGraph.OutputName, 1, 1, 2, 3));
        graph.Output.Add(Value("unused", 1, 1, 2, 3));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var card = new ModelCard
        {
            Architecture = "foreign",
            InChannels = 1,
            InputName = "x",
            HeadOutputs = [ModeGraph.OutputName],
            HeadsAreLogits = logits,
            Normalization = ModelCard.DefaultNormalization(1),
        };
        var input = new FeatureMap(1, 1, 2, 3, [-2f, -1f, 0f, 1f, 2f, 3f]);

        var selected = ModeGraph.Select(model, card, InferenceMode.L4);
        var output = Run(selected, input, ModeGraph.OutputName).Single();

        float[] relu = [0f, 0f, 0f, 1f, 2f, 3f];
        Assert.InRange(MaxAbsDifference(logits ? Sigmoid(relu) : relu, output), 0f, Tolerance);
        Assert.DoesNotContain(selected.Graph.Node, n => n.OpType == "Neg");
    }

    private static HashSet<string> NodeNames(ModelProto model) =>
        model.Graph.Node.Where(n => !n.Name.StartsWith(ModeGraph.OutputName, StringComparison.Ordinal)).Select(n => n.Name).ToHashSet();

    private static NodeProto Op(string type, string input, string output)
    {
        var node = new NodeProto { OpType = type, Name = output };
        node.Input.Add(input);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } },
        };
    }
}
