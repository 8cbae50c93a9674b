using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;
using static UNetPP.Cluster.Segmentation.Tests.Model.ModelTestKit;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

public sealed class ModelFileTests : IDisposable
{
    private static readonly NestedUNetOptions Options = Small();
    private static readonly ModelProto Built = NestedUNetBuilder.Build(Options, Weights(Options));

    private readonly string directory = TempDirectory();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void SavedModelLoadsWithItsEmbeddedCard()
    {
        var path = Path.Combine(directory, "m.onnx");

        ModelFile.Save(Built, path);
        var loaded = ModelFile.Load(path);

        Assert.Equal(ModelCard.ForNestedUNet(Options).ToJson(), loaded.Card.ToJson());
        Assert.Equal(Built.Graph.Node.Count, loaded.Model.Graph.Node.Count);
        Assert.Equal([path], Directory.GetFiles(directory));
    }

    [Fact]
    public void SidecarCardsTakePrecedenceOverMetadataAndOverridesOverSidecars()
    {
        var path = Path.Combine(directory, "m.onnx");
        ModelFile.Save(Built, path);
        var card = ModelCard.ForNestedUNet(Options);

        File.WriteAllText(Path.Combine(directory, "m.card.json"), (card with { TileSize = 384 }).ToJson());
        Assert.Equal(384, ModelFile.Load(path).Card.TileSize);

        File.WriteAllText(path + ".card.json", (card with { TileSize = 512 }).ToJson());
        Assert.Equal(512, ModelFile.Load(path).Card.TileSize);

        Assert.Equal(128, ModelFile.Load(path, card with { TileSize = 128 }).Card.TileSize);
    }

    [Fact]
    public void CardWithoutMetadataIsInferredFromTheGraph()
    {
        var path = Path.Combine(directory, "plain.onnx");
        ModelFile.Save(OneConvModel([1, 3, 8, 8], outChannels: 1), path);

        var card = ModelFile.Load(path).Card;

        Assert.Equal(["y"], card.HeadOutputs);
        Assert.Equal("x", card.InputName);
        Assert.Equal(ModelCard.Sigmoid, card.Activation);
        Assert.Equal(InputNormalization.ImageNet, card.Normalization);
        Assert.Equal(["L4"], card.Modes);
    }

    [Fact]
    public void TextFileNamedOnnxIsRefused()
    {
        var path = Path.Combine(directory, "notes.onnx");
        File.WriteAllText(path, "just some notes\nnot a model at all\n");

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path));

        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not an ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x08, 0x08 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void BytesWithoutAGraphAreRefused(byte[] bytes)
    {
        var path = Path.Combine(directory, "empty.onnx");
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path));

        Assert.StartsWith($"{path}: not an ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsRefused()
    {
        var path = Path.Combine(directory, "absent.onnx");

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path));

        Assert.Equal($"{path}: model file not found", error.Message);
    }

    [Fact]
    public void RankThreeInputIsRefused()
    {
        var path = Path.Combine(directory, "rank3.onnx");
        var model = OneConvModel([1, 3, 8, 8], outChannels: 1);
        model.Graph.Input[0].Type.TensorType.Shape.Dim.RemoveAt(3);
        ModelFile.Save(model, path);

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path));

        Assert.Equal($"{path}: input 'x' has rank 3; a segmentation model needs [N, C, H, W]", error.Message);
    }

    [Fact]
    public void CardThatDisagreesWithTheInputChannelsIsRefused()
    {
        var path = Path.Combine(directory, "m.onnx");
        ModelFile.Save(OneConvModel([1, 3, 8, 8], outChannels: 1), path);
        var card = new ModelCard
        {
            Architecture = "exported",
            InChannels = 1,
            InputName = "x",
            HeadOutputs = ["y"],
            Normalization = ModelCard.DefaultNormalization(1),
        };

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path, card));

        Assert.Contains("1 input channels but input 'x' has 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidSidecarIsRefusedByName()
    {
        var path = Path.Combine(directory, "m.onnx");
        ModelFile.Save(Built, path);
        File.WriteAllText(path + ".card.json", "{ \"classes\": ");

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path));

        Assert.StartsWith(path + ".card.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CardWhoseClassCountDisagreesWithTheHeadsIsRefusedAtLoad()
    {
        var path = Path.Combine(directory, "m.onnx");
        ModelFile.Save(Built, path);
        var card = ModelCard.ForNestedUNet(Options) with { Classes = 2, Activation = ModelCard.Softmax };
        File.WriteAllText(path + ".card.json", card.ToJson());

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path));

        Assert.Equal($"{path}: the card says 2 classes but head output 'final1' has 1 channel; set \"classes\": 1 in the card", error.Message);
    }

    [Fact]
    public void CardNamingAHeadTheGraphDoesNotHaveIsRefused()
    {
        var path = Path.Combine(directory, "m.onnx");
        ModelFile.Save(Built, path);
        var card = ModelCard.ForNestedUNet(Options) with { HeadOutputs = ["final1", "final2", "final3", "out4"] };
        File.WriteAllText(path + ".card.json", card.ToJson());

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path));

        Assert.Equal($"{path}: the card names head output 'out4', but the graph has no such value", error.Message);
    }

    [Fact]
    public void ForeignGraphWhoseHeadsGiveAnotherClassCountIsRefusedByRunningIt()
    {
        var path = Path.Combine(directory, "exported.onnx");
        ModelFile.Save(SizeFreeGraph(outChannels: 2, bakedPad: false), path);
        var card = new ModelCard { Architecture = "exported", InputName = "x", HeadOutputs = ["y"], Classes = 1 };

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path, card));

        Assert.Equal($"{path}: the card says 1 class but head output 'y' has 2 channels; set \"classes\": 2 in the card", error.Message);
        Assert.Equal(2, ModelFile.Load(path, card with { Classes = 2, Activation = ModelCard.Softmax }).Card.Classes);
    }

    [Fact]
    public void GraphWithPadsBakedInAtExportIsRefusedWithTheFix()
    {
        var path = Path.Combine(directory, "traced-at-97.onnx");
        ModelFile.Save(SizeFreeGraph(outChannels: 1, bakedPad: true), path);

        var card = new ModelCard { Architecture = "exported", InputName = "x", HeadOutputs = ["y"] };

        var error = Assert.Throws<ModelException>(() => ModelFile.Load(path, card));

        Assert.StartsWith($"{path}: the graph fails on a 32×32 tile. Its padding or reshape sizes were fixed when it was exported", error.Message, StringComparison.Ordinal);
        Assert.Contains("dynamic_axes={'x': {0: 'batch', 2: 'height', 3: 'width'}", error.Message, StringComparison.Ordinal);
        Assert.Contains("multiples of 16", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// x [N, 3, H, W] → MaxPool 2 → Resize ×2 → (Pad right and bottom by 1) → Concat with x → 1×1 Conv → y: the
    /// seed's Up as a trace at an odd size leaves it, whose constant pad only fits inputs of odd size.
    /// </summary>
    private static ModelProto SizeFreeGraph(int outChannels, bool bakedPad)
    {
        var graph = new GraphProto { Name = "exported" };
        graph.Input.Add(OnnxGraph.FloatValue("x", "N", 3, "H", "W"));
        graph.Output.Add(OnnxGraph.FloatValue("y", "N", "C", "H", "W"));
        graph.Initializer.Add(OnnxGraph.FloatTensor("scales", [4], [1f, 1f, 2f, 2f]));
        graph.Initializer.Add(OnnxGraph.Int64Tensor("pads", 0, 0, 0, 0, 0, 0, 1, 1));
        graph.Initializer.Add(OnnxGraph.FloatTensor("w", [outChannels, 6, 1, 1], Enumerable.Repeat(0.25f, outChannels * 6).ToArray()));
        graph.Node.Add(OnnxGraph.Node("MaxPool", "pool", ["x"], "pool", OnnxGraph.Ints("kernel_shape", 2, 2), OnnxGraph.Ints("strides", 2, 2)));
        graph.Node.Add(OnnxGraph.Node("Resize", "up", ["pool", "", "scales"], "up", OnnxGraph.String("mode", "nearest")));
        graph.Node.Add(bakedPad
            ? OnnxGraph.Node("Pad", "pad", ["up", "pads"], "padded", OnnxGraph.String("mode", "constant"))
            : OnnxGraph.Node("Pad", "pad", ["x", "pads"], "padded.unused", OnnxGraph.String("mode", "constant")));
        graph.Node.Add(OnnxGraph.Node("Concat", "cat", ["x", bakedPad ? "padded" : "x"], "cat", OnnxGraph.Int("axis", 1)));
        graph.Node.Add(OnnxGraph.Node("Conv", "conv", ["cat", "w"], "y", OnnxGraph.Ints("kernel_shape", 1, 1)));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return model;
    }

    /// <summary>x [N, C, H, W] → 1×1 Conv → y, with no card.</summary>
    private static ModelProto OneConvModel(long[] inputShape, int outChannels)
    {
        var graph = new GraphProto { Name = "one-conv" };
        graph.Input.Add(Value("x", inputShape));
        graph.Output.Add(Value("y", [inputShape[0], outChannels, inputShape[2], inputShape[3]]));
        var weight = new TensorProto { Name = "w", DataType = 1 };
        weight.Dims.AddRange([outChannels, inputShape[1], 1, 1]);
        weight.FloatData.AddRange(Enumerable.Repeat(0.5f, (int)(outChannels * inputShape[1])));
        graph.Initializer.Add(weight);
        var conv = new NodeProto { OpType = "Conv", Name = "conv" };
        conv.Input.AddRange(["x", "w"]);
        conv.Output.Add("y");
        graph.Node.Add(conv);
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return model;
    }

    private static ValueInfoProto Value(string name, long[] dims)
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
