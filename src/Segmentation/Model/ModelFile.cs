using Google.Protobuf;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>A segmentation model read from disk: the ONNX graph and the card that says how to use it.</summary>
public sealed record LoadedModel(string Path, ModelProto Model, ModelCard Card)
{
    /// <summary>
    /// The SHA-256 of the file's bytes, lowercase hex: what tells two models apart for --resume and
    /// in reports whatever their names. Empty for a model built in memory and never saved.
    /// </summary>
    public string Sha256 { get; init; } = "";
}

/// <summary>
/// Reads and writes ONNX model files, refusing early and by name what would otherwise fail deep inside a
/// worker (wrong file, wrong input rank, a card that disagrees with the graph).
/// </summary>
public static class ModelFile
{
    private const string CardSuffix = ".card.json";

    /// <summary>
    /// Loads <paramref name="path"/> and its card. The card is, in order of precedence: <paramref name="cardOverride"/>;
    /// a sidecar <c>m.onnx.card.json</c> or <c>m.card.json</c>; the card in the file's metadata; or one inferred
    /// from a single-output graph (logits, sigmoid for one channel else softmax, the default normalisation).
    /// </summary>
    public static LoadedModel Load(string path, ModelCard? cardOverride = null)
    {
        if (!File.Exists(path))
        {
            throw ModelException.For(path, "model file not found");
        }

        var bytes = File.ReadAllBytes(path);
        var model = Parse(path, bytes);
        var card = cardOverride ?? ReadSidecar(path) ?? ReadEmbedded(path, model);
        var input = FindInput(path, model.Graph, card?.InputName);
        var channels = FixedDimension(input, 1);
        card ??= Infer(path, model.Graph, input, channels);
        try
        {
            card.Validate();
        }
        catch (InvalidDataException e)
        {
            throw ModelException.For(path, e.Message, e);
        }

        if (channels is { } fixedChannels && fixedChannels != card.InChannels)
        {
            throw ModelException.For(
                path, $"the card says {card.InChannels} input channels but input '{input.Name}' has {fixedChannels}");
        }

        var produced = OnnxGraph.ValueNames(model.Graph);
        var missing = card.HeadOutputs.FirstOrDefault(h => !produced.Contains(h));
        if (missing is not null)
        {
            throw ModelException.For(path, $"the card names head output '{missing}', but the graph has no such value");
        }

        foreach (var head in model.Graph.Output.Where(o => card.HeadOutputs.Contains(o.Name)))
        {
            if (FixedDimension(head, 1) is { } headChannels && headChannels != card.Classes)
            {
                throw ModelException.For(path, SizeProbe.ClassMismatch(card, head.Name, headChannels));
            }
        }

        // This project's builder makes graphs that take any size; a graph from elsewhere has to show it.
        if (model.ProducerName != NestedUNetBuilder.ProducerName && FixedDimension(input, 2) is null && FixedDimension(input, 3) is null)
        {
            SizeProbe.Check(path, model, card, FixedDimension(input, 0) ?? 1);
        }

        return new LoadedModel(path, model, card) { Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)) };
    }

    /// <summary>Writes <paramref name="model"/> under a temporary name and renames it, so no partial file is ever visible.</summary>
    public static void Save(ModelProto model, string path) =>
        AtomicFile.Write(path, model.WriteTo);

    private static ModelProto Parse(string path, byte[] bytes)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ModelException.For(path, "not an ONNX model (the bytes are not an ONNX protobuf)", e);
        }

        // Arbitrary bytes sometimes parse as a protobuf of unknown fields; a real model has a graph with nodes.
        if (model.Graph is null || model.Graph.Node.Count == 0 || model.Graph.Output.Count == 0)
        {
            throw ModelException.For(path, "not an ONNX model (no graph with nodes and outputs)");
        }

        return model;
    }

    private static ModelCard? ReadSidecar(string path)
    {
        string[] candidates = [path + CardSuffix, Path.ChangeExtension(path, null) + CardSuffix];
        var sidecar = candidates.FirstOrDefault(File.Exists);
        if (sidecar is null)
        {
            return null;
        }

        try
        {
            return ModelCard.FromJson(File.ReadAllText(sidecar));
        }
        catch (InvalidDataException e)
        {
            throw ModelException.For(sidecar, e.Message, e);
        }
    }

    private static ModelCard? ReadEmbedded(string path, ModelProto model)
    {
        try
        {
            return ModelCard.ReadFrom(model);
        }
        catch (InvalidDataException e)
        {
            throw ModelException.For(path, $"{e.Message} (in metadata '{ModelCard.MetadataKey}')", e);
        }
    }

    /// <summary>The image input: the named one, else the only graph input that is not an initializer.</summary>
    private static ValueInfoProto FindInput(string path, GraphProto graph, string? name)
    {
        // Older exporters list initializers among the inputs; those are weights, not data.
        var weights = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(v => !weights.Contains(v.Name)).ToList();
        ValueInfoProto input;
        if (name is not null)
        {
            input = inputs.FirstOrDefault(v => v.Name == name)
                ?? throw ModelException.For(
                    path, $"the card names input '{name}', but the graph's inputs are {Quote(inputs.Select(v => v.Name))}");
        }
        else if (inputs.Count == 1)
        {
            input = inputs[0];
        }
        else
        {
            throw ModelException.For(
                path, $"the graph has {inputs.Count} inputs ({Quote(inputs.Select(v => v.Name))}); a segmentation model takes one image input");
        }

        var tensor = input.Type?.TensorType;
        if (tensor is null || tensor.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            throw ModelException.For(path, $"input '{input.Name}' is not a float tensor");
        }

        if (tensor.Shape is null || tensor.Shape.Dim.Count != 4)
        {
            var rank = tensor.Shape is null ? "unknown rank" : $"rank {tensor.Shape.Dim.Count}";
            throw ModelException.For(path, $"input '{input.Name}' has {rank}; a segmentation model needs [N, C, H, W]");
        }

        return input;
    }

    private static ModelCard Infer(string path, GraphProto graph, ValueInfoProto input, long? channels)
    {
        if (graph.Output.Count != 1)
        {
            throw ModelException.For(
                path, $"the graph has {graph.Output.Count} outputs and no card says which are heads; add {Path.GetFileName(path)}{CardSuffix}");
        }

        var output = graph.Output[0];
        var classes = FixedDimension(output, 1);
        if (channels is null || classes is null)
        {
            throw ModelException.For(
                path, $"the channel counts of '{input.Name}' or '{output.Name}' are not fixed in the graph and no card gives them; add {Path.GetFileName(path)}{CardSuffix}");
        }

        return new ModelCard
        {
            Architecture = "unknown",
            InChannels = (int)channels,
            Classes = (int)classes,
            InputName = input.Name,
            HeadOutputs = [output.Name],
            HeadsAreLogits = true,
            Activation = ModelCard.DefaultActivation((int)classes),
            Normalization = ModelCard.DefaultNormalization((int)channels),
            AllowColorToGray = channels == 1,
        };
    }

    private static long? FixedDimension(ValueInfoProto value, int axis)
    {
        var dims = value.Type?.TensorType?.Shape?.Dim;
        return dims is not null && dims.Count > axis && dims[axis].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
            ? dims[axis].DimValue
            : null;
    }

    private static string Quote(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}
