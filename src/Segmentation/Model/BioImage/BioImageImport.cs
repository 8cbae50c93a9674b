using System.Globalization;
using Google.Protobuf;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>A bioimage.io model brought in: its ONNX graph with the card inside, and what its own test gave.</summary>
public sealed record ImportedModel(
    ModelProto Model,
    ModelCard Card,
    string Name,
    string FormatVersion,
    string InputId,
    IReadOnlyList<string> ChannelNames,
    string OutputId,
    int Halo,
    PackageTestResult Test);

/// <summary>
/// <c>unetpp model import</c>: reads a bioimage.io model package (format 0.5, or 0.4) with ONNX weights, says
/// its axes, preprocessing, postprocessing and tile hints in a card, and accepts it only when its own test
/// input reproduces its test output, as the zoo's test does.
/// </summary>
public static class BioImageImport
{
    private const string Architecture = "bioimage.io";

    /// <summary>Imports <paramref name="path"/> (a description, a folder or a zip); throws <see cref="ModelException"/> naming the package and the reason.</summary>
    public static ImportedModel Import(string path)
    {
        using var package = ModelPackage.Open(path);
        try
        {
            return Import(package);
        }
        catch (InvalidDataException e)
        {
            throw ModelException.For(package.Where, e.Message, e);
        }
    }

    private static ImportedModel Import(ModelPackage package)
    {
        var description = ModelDescription.Read(RdfNode.Parse(package.Description));
        var (input, output) = (description.Input, description.Output);
        foreach (var tensor in new[] { input, output })
        {
            if (!AxisOrder.IsReorderable(tensor.Axes))
            {
                throw new InvalidDataException(
                    $"tensor '{tensor.Id}' has axes '{tensor.Axes}'; unetpp runs 2D models whose tensors have a batch, a channel, a y and an x axis ('{AxisOrder.Engine}' in any order)");
            }
        }

        var testInput = AxisOrder.Reorder(ReadTensor(package, input, "test input"), input.Axes);
        var testOutput = AxisOrder.Reorder(ReadTensor(package, output, "test output"), output.Axes);
        var model = ReadOnnx(package, description.OnnxWeights);
        var channels = (int)testInput.Shape[1];
        var classes = (int)testOutput.Shape[1];
        if (input.ChannelNames.Count > 0 && input.ChannelNames.Count != channels)
        {
            throw new InvalidDataException($"input '{input.Id}' names {input.ChannelNames.Count} channels, but its test tensor has {channels}");
        }

        var normalization = InputTranslation.Translate(input, channels);
        var postprocessing = OutputTranslation.Translate(output, classes);
        if (postprocessing is { Activation: null, Threshold: null } && testOutput.Values.Any(v => v is < 0 or > 1))
        {
            throw new InvalidDataException(
                $"output '{output.Id}' holds values outside 0–1 and no sigmoid or softmax follows the model, so they are not probabilities that unetpp can threshold");
        }

        var weights = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var graphInputs = model.Graph.Input.Where(i => !weights.Contains(i.Name)).ToList();
        if (graphInputs.Count != 1)
        {
            throw new InvalidDataException($"the ONNX model has {graphInputs.Count} inputs; unetpp runs models with one image input");
        }

        var card = new ModelCard
        {
            Architecture = Architecture,
            InChannels = channels,
            Classes = classes,
            InputName = AxisOrder.ReorderInput(model.Graph, graphInputs[0], input.Axes),
            HeadOutputs = [AxisOrder.ReorderOutput(model.Graph, model.Graph.Output[0], output.Axes)],
            HeadsAreLogits = postprocessing.Activation is not null,
            Activation = postprocessing.Activation ?? ModelCard.DefaultActivation(classes),
            Normalization = normalization.Normalization,
            AllowColorToGray = channels == 1,
            Threshold = postprocessing.Threshold ?? new ModelCard().Threshold,
            TileSize = TileSize(input, output.Halo),
            Modes = [InferenceMode.L4.ToName()],
            Origin = $"bioimage.io model '{description.Name}' (format {description.FormatVersion}); {normalization.Assumption}",
        };
        card.Validate();
        var test = PackageTest.Run(model, card, normalization, postprocessing.Threshold, testInput, testOutput, description.Tolerance);
        card.WriteTo(model);
        return new ImportedModel(model, card, description.Name, description.FormatVersion, input.Id, input.ChannelNames, output.Id, output.Halo, test);
    }

    private static NpyArray ReadTensor(ModelPackage package, TensorDescription tensor, string role)
    {
        var source = tensor.TestTensor
            ?? throw new InvalidDataException($"tensor '{tensor.Id}' has no {role}, and unetpp accepts a package only when its own test reproduces");
        NpyArray array;
        try
        {
            array = NpyArray.Read(package.Read(source));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{role} '{source}': {e.Message}", e);
        }

        return array.Shape.Count == tensor.Axes.Length
            ? array
            : throw new InvalidDataException($"{role} '{source}' has {array.Shape.Count} axes, but tensor '{tensor.Id}' has {tensor.Axes.Length} ('{tensor.Axes}')");
    }

    private static ModelProto ReadOnnx(ModelPackage package, string source)
    {
        var bytes = package.Read(source);
        try
        {
            var model = ModelProto.Parser.ParseFrom(bytes);
            return model.Graph is { Node.Count: > 0, Output.Count: > 0 }
                ? model
                : throw new InvalidDataException($"weights '{source}' are not an ONNX model (no graph with nodes and outputs)");
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"weights '{source}' are not an ONNX model", e);
        }
    }

    /// <summary>
    /// The card's tile: a size the input takes (its fixed size, or <c>min + n × step</c>), a multiple of 16, at
    /// least the usual 256 and at least 8 halos, so the default overlap of a quarter tile covers the halo
    /// that each of two neighbouring tiles gives up at their seam.
    /// </summary>
    private static int TileSize(TensorDescription input, int halo)
    {
        var overlap = new SegmentationOptions().Overlap;
        var wanted = Math.Max(new ModelCard().TileSize, (int)Math.Ceiling(2 * halo / overlap));
        AxisSizes?[] axes = [input.Height, input.Width];
        if (axes.Any(a => a is { Step: 0 }))
        {
            return input.Height is { Step: 0 } h && input.Width is { Step: 0 } w && h.Min == w.Min && h.Min % 16 == 0
                ? h.Min
                : throw new InvalidDataException(
                    $"input '{input.Id}' takes only {input.Height?.Min.ToString(CultureInfo.InvariantCulture) ?? "?"}×{input.Width?.Min.ToString(CultureInfo.InvariantCulture) ?? "?"} images; unetpp's tiles are squares whose edge is a multiple of 16");
        }

        bool Fits(int size) => axes.All(a => a is null || (size >= a.Min && (size - a.Min) % a.Step == 0));
        var first = (wanted + 15) / 16 * 16;
        for (var size = first; size <= first + 16 * 1024; size += 16)
        {
            if (Fits(size))
            {
                return size;
            }
        }

        throw new InvalidDataException($"input '{input.Id}' takes no size that is a multiple of 16 near {wanted}; unetpp's tile edges are multiples of 16");
    }
}
