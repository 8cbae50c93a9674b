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
