using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Tests.Model.BioImage;

/// <summary>
/// bioimage.io packages written by tests, as a model's authors would write them: a small NestedUNet as plain
/// ONNX, an rdf.yaml, and .npy test tensors computed here with the package's own preprocessing written out in
/// numpy's terms (not the engine's code), so an import that maps a step wrongly fails its test.
/// </summary>
internal static class BioImagePackage
{
    public const int Size = 64;

    private static readonly NestedUNetOptions Options =
        new() { Filters = [4, 8, 16, 32, 64], InChannels = 1, Classes = 1, DeepSupervision = false };

    /// <summary>The model as a package holds it: the graph and weights, with no unetpp card.</summary>
    public static ModelProto Network()
    {
        var model = NestedUNetBuilder.Build(Options, NestedUNetWeights.CreateInitial(Options, 5), ModelCard.ForNestedUNet(Options));
        model.MetadataProps.Clear();
        return model;
    }

    /// <summary>A test image, 1 × 1 × 64 × 64: a bright disc on a dim, noisy background, in 0 to <paramref name="peak"/>.</summary>
    public static float[] Image(double peak, bool whole = false)
    {
        var random = new Random(3);
        var values = new float[Size * Size];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var inside = ((y - 30) * (y - 30)) + ((x - 34) * (x - 34)) < 15 * 15;
                var value = peak * ((inside ? 0.7 : 0.1) + (random.NextDouble() * 0.3));
                values[(y * Size) + x] = (float)(whole ? Math.Round(value) : value);
            }
        }

        return values;
    }

    /// <summary>numpy's percentile (linear between ranks) and bioimage.io's <c>scale_range</c>: (x − lo) / (hi − lo + eps).</summary>
    public static float[] ScaleRange(float[] values, double low, double high)
    {
        var sorted = values.Select(v => (double)v).Order().ToArray();
        double At(double percent)
        {
            var rank = percent / 100 * (sorted.Length - 1);
            var below = (int)Math.Floor(rank);
            return below + 1 < sorted.Length ? sorted[below] + ((rank - below) * (sorted[below + 1] - sorted[below])) : sorted[below];
        }

        var (lo, hi) = (At(low), At(high));
        return [.. values.Select(v => (float)((v - lo) / (hi - lo + 1e-6)))];
    }

    /// <summary>bioimage.io's <c>zero_mean_unit_variance</c>: (x − mean) / (std + eps), numpy's population std.</summary>
    public static float[] ZeroMeanUnitVariance(float[] values)
    {
        var mean = values.Average(v => (double)v);
        var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        return [.. values.Select(v => (float)((v - mean) / (std + 1e-6)))];
    }

    /// <summary>The model's output for one normalised 64 × 64 image, through ONNX Runtime, with a sigmoid after it.</summary>
    public static float[] Probabilities(ModelProto model, float[] normalised)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        using var value = OrtValue.CreateTensorValueFromMemory(normalised, [1, 1, Size, Size]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [NestedUNetBuilder.InputName], [value], [model.Graph.Output[0].Name]);
        return [.. results[0].GetTensorDataAsSpan<float>().ToArray().Select(v => 1f / (1f + MathF.Exp(-v)))];
    }

    /// <summary>
    /// Writes a package into <paramref name="folder"/>: weights.onnx, test_input.npy (<paramref name="inputType"/>:
    /// <c>&lt;f4</c> or <c>|u1</c>), test_output.npy, and <paramref name="rdf"/> as rdf.yaml. Returns the rdf.yaml path.
    /// </summary>
    public static string Write(string folder, string rdf, float[] input, float[] output, string inputType = "<f4", string axes = "bcyx")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "weights.onnx"), InOrder(Network(), axes).ToByteArray());
        // With one channel, the values of a 64 × 64 image lie in the same order whichever place the channel axis takes.
        var shape = $"({string.Join(", ", axes.Select(a => a is 'y' or 'x' ? Size : 1))})";
        WriteNpy(Path.Combine(folder, "test_input.npy"), input, inputType, shape);
        WriteNpy(Path.Combine(folder, "test_output.npy"), output, "<f4", shape);
        var path = Path.Combine(folder, "rdf.yaml");
        File.WriteAllText(path, rdf);
        return path;
    }

    /// <summary>A format 0.5 description of the test model, its axes in <paramref name="axes"/>' order; the parts a test varies are given as YAML.</summary>
    public static string Rdf(string preprocessing, string postprocessing = "- id: sigmoid", string data = "", string config = "", string axes = "bcyx") => $$$"""
        format_version: 0.5.4
        type: model
        name: Test nuclei
        inputs:
          - id: raw
            axes:
        {{{Indent(string.Join('\n', axes.Select(a => InputAxes[a])), 6)}}}
            {{{data}}}
            test_tensor: {source: test_input.npy}
            preprocessing:
        {{{Indent(preprocessing, 6)}}}
        outputs:
          - id: probability
            axes:
        {{{Indent(string.Join('\n', axes.Select(a => OutputAxes[a])), 6)}}}
            test_tensor: {source: test_output.npy}
            postprocessing:
        {{{Indent(postprocessing, 6)}}}
        weights:
          onnx: {source: weights.onnx, opset_version: 17}
        {{{config}}}
        """;

    private static readonly Dictionary<char, string> InputAxes = new()
    {
        ['b'] = "- type: batch",
        ['c'] = "- type: channel\n  channel_names: [dapi]",
        ['z'] = "- {type: space, id: z, size: 8}",
        ['y'] = "- {type: space, id: y, size: {min: 64, step: 16}}",
        ['x'] = "- {type: space, id: x, size: {min: 64, step: 16}}",
    };

    private static readonly Dictionary<char, string> OutputAxes = new()
    {
        ['b'] = "- type: batch",
        ['c'] = "- type: channel\n  channel_names: [nuclei]",
        ['z'] = "- {type: space, id: z, size: {tensor_id: raw, axis_id: z}}",
        ['y'] = "- {type: space, id: y, halo: 40, size: {tensor_id: raw, axis_id: y}}",
        ['x'] = "- {type: space, id: x, halo: 40, size: {tensor_id: raw, axis_id: x}}",
    };

    private static string Indent(string yaml, int spaces) =>
        string.Join('\n', yaml.Split('\n').Select(line => new string(' ', spaces) + line));

    /// <summary>The network as an export that takes and gives its tensors with the axes in <paramref name="axes"/>' order.</summary>
    private static ModelProto InOrder(ModelProto model, string axes)
    {
        if (axes == "bcyx")
        {
            return model;
        }

        var graph = model.Graph;
        var (input, output) = (graph.Input[0], graph.Output[0]);
        graph.Node.Insert(0, Transpose("outside", input.Name, [.. "bcyx".Select(a => (long)axes.IndexOf(a))]));
        graph.Node.Add(Transpose(output.Name, "outside.out", [.. axes.Select(a => (long)"bcyx".IndexOf(a))]));
        graph.Input[0] = new ValueInfoProto { Name = "outside", Type = Reordered(input.Type, axes) };
        graph.Output[0] = new ValueInfoProto { Name = "outside.out", Type = Reordered(output.Type, axes) };
        return model;
    }

    private static TypeProto Reordered(TypeProto type, string axes)
    {
        var reordered = type.Clone();
        var dims = type.TensorType.Shape.Dim;
        reordered.TensorType.Shape.Dim.Clear();
        reordered.TensorType.Shape.Dim.AddRange(axes.Select(a => dims["bcyx".IndexOf(a)]));
        return reordered;
    }

    private static NodeProto Transpose(string from, string to, long[] perm)
    {
        var node = new NodeProto { OpType = "Transpose", Name = to };
        node.Input.Add(from);
        node.Output.Add(to);
        var attribute = new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(perm);
        node.Attribute.Add(attribute);
        return node;
    }

    /// <summary>numpy's .npy format 1.0, C order.</summary>
    private static void WriteNpy(string path, float[] values, string descr, string shape)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        var total = (10 + header.Length + 1 + 63) / 64 * 64;
        header = header.PadRight(total - 10 - 1) + "\n";
        using var file = File.Create(path);
        file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        file.Write(length);
        file.Write(Encoding.Latin1.GetBytes(header));
        Span<byte> bytes = stackalloc byte[4];
        foreach (var v in values)
        {
            if (descr == "|u1")
            {
                file.WriteByte((byte)v);
            }
            else
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes, v);
                file.Write(bytes);
            }
        }
    }

    public static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
