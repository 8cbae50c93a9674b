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
    public static string Write(string folder, string rdf, float[] input, float[] output, string inputType = "<f4")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "weights.onnx"), Network().ToByteArray());
        WriteNpy(Path.Combine(folder, "test_input.npy"), input, inputType);
        WriteNpy(Path.Combine(folder, "test_output.npy"), output, "<f4");
        var path = Path.Combine(folder, "rdf.yaml");
        File.WriteAllText(path, rdf);
        return path;
    }

    /// <summary>A format 0.5 description of the test model; the parts a test varies are given as YAML.</summary>
    public static string Rdf(string preprocessing, string postprocessing = "- id: sigmoid", string data = "", string config = "") => $$$"""
        format_version: 0.5.4
        type: model
        name: Test nuclei
        inputs:
          - id: raw
            axes:
              - type: batch
              - type: channel
                channel_names: [dapi]
              - {type: space, id: y, size: {min: 64, step: 16}}
              - {type: space, id: x, size: {min: 64, step: 16}}
            {{{data}}}
            test_tensor: {source: test_input.npy}
            preprocessing:
        {{{Indent(preprocessing, 6)}}}
        outputs:
          - id: probability
            axes:
              - type: batch
              - type: channel
                channel_names: [nuclei]
              - {type: space, id: y, halo: 40, size: {tensor_id: raw, axis_id: y}}
              - {type: space, id: x, halo: 40, size: {tensor_id: raw, axis_id: x}}
            test_tensor: {source: test_output.npy}
            postprocessing:
        {{{Indent(postprocessing, 6)}}}
        weights:
          onnx: {source: weights.onnx, opset_version: 17}
        {{{config}}}
        """;

    private static string Indent(string yaml, int spaces) =>
        string.Join('\n', yaml.Split('\n').Select(line => new string(' ', spaces) + line));

    /// <summary>numpy's .npy format 1.0, C order, shape 1 × 1 × 64 × 64.</summary>
    private static void WriteNpy(string path, float[] values, string descr)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': (1, 1, {Size}, {Size}), }}";
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
