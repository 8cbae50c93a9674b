using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>
/// Which values of a (BatchNormalization-folded) float graph become uint8 and which convolutions int8,
/// decided from the graph alone before anything is measured, so that calibration measures exactly the
/// values whose ranges the rewrite needs (<see cref="Calibrated"/>).
/// </summary>
/// <remarks>
/// A Conv is quantised when its weights are a float32 initializer and its output is not a head (the
/// card's <see cref="ModelCard.HeadOutputs"/>) or any graph output, and it does not read the image input:
/// measured on x86-64 without VNNI, an int8 first convolution (3 channels in) ran at about half the speed
/// of the float32 one, and quantising the image cost accuracy (IoU 0.001 against 0.0002 without). A ReLU that is a quantised Conv's only reader is
/// absorbed: the uint8 QuantizeLinear after the Conv, with zero point 0, clamps at zero as the ReLU did.
/// MaxPool and Resize of a uint8 value keep its scale (ONNX Runtime then runs MaxPool on uint8; a linear
/// Resize it keeps in float between DequantizeLinear and QuantizeLinear, and on uint8 it would truncate), constant
/// zero Pad runs on the uint8 value itself (padding with its zero point), and Concat of uint8 values gets
/// a range of its own (QLinearConcat). Leaving the Concat in float would change nothing: the Conv after it
/// reads it through a QuantizeLinear → DequantizeLinear anyway, and ONNX Runtime fuses the DequantizeLinears
/// → Concat → QuantizeLinear into the same QLinearConcat.
/// </remarks>
internal sealed class QdqPlan
{
    private QdqPlan(
        HashSet<NodeProto> convs, HashSet<NodeProto> absorbed, Dictionary<string, Quantized> values, IReadOnlyList<string> calibrated)
    {
        Convs = convs;
        Absorbed = absorbed;
        Values = values;
        Calibrated = calibrated;
    }

    /// <summary>The Conv nodes that take a uint8 input and int8 weights.</summary>
    public HashSet<NodeProto> Convs { get; }

    /// <summary>ReLUs that the QuantizeLinear after their Conv replaces.</summary>
    public HashSet<NodeProto> Absorbed { get; }

    /// <summary>Every value that is carried as uint8, by its float name.</summary>
    public Dictionary<string, Quantized> Values { get; }

    /// <summary>The values whose ranges are measured, in graph order; the graph input first when quantised.</summary>
    public IReadOnlyList<string> Calibrated { get; }

    /// <param name="Name">The value's float name.</param>
    /// <param name="Range">The calibrated value whose range (and so scale and zero point) it uses.</param>
    /// <param name="Native">Whether its producer writes the uint8 value itself (a Pad), so no QuantizeLinear follows.</param>
    public sealed record Quantized(string Name, string Range, bool Native)
    {
        public string QuantizedName => $"{Name}.quantized";
    }

    public static QdqPlan For(GraphProto graph, ModelCard card)
    {
        var initializers = new Initializers(graph);
        var consumers = BatchNormFolding.Consumers(graph);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var heads = card.HeadOutputs.ToHashSet(StringComparer.Ordinal);
        var convs = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var absorbed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var values = new Dictionary<string, Quantized>(StringComparer.Ordinal);
        var calibrated = new List<string>();

        void Own(string name)
        {
            values[name] = new Quantized(name, name, Native: false);
            calibrated.Add(name);
        }

        foreach (var node in graph.Node.Where(n => n.Domain is "" or "ai.onnx"))
        {
            var output = node.Output.Count == 1 ? node.Output[0] : null;
            var input = node.Input.Count > 0 ? node.Input[0] : "";
            switch (node.OpType)
            {
                case "Conv" when output is not null && !heads.Contains(output) && !outputs.Contains(output)
                    && node.Input.Count >= 2 && initializers.IsFloat(node.Input[1])
                    && (node.Input.Count < 3 || node.Input[2].Length == 0 || initializers.IsFloat(node.Input[2]))
                    && input != card.InputName:
                    convs.Add(node);
                    if (!values.ContainsKey(input))
                    {
                        Own(input);
                    }

                    var relu = consumers.GetValueOrDefault(output) is [{ OpType: "Relu" } only] ? only : null;
                    if (relu is not null && !outputs.Contains(relu.Output[0]) && !heads.Contains(relu.Output[0]))
                    {
                        absorbed.Add(relu);
                        Own(relu.Output[0]);
                    }
                    else
                    {
                        Own(output);
                    }

                    break;

                case "MaxPool" or "Resize" when output is not null && values.TryGetValue(input, out var source) && !outputs.Contains(output):
                    values[output] = new Quantized(output, source.Range, Native: false);
                    break;

                case "Pad" when output is not null && values.TryGetValue(input, out var source)
                    && !outputs.Contains(output) && PadsWithZero(node, initializers):
                    values[output] = new Quantized(output, source.Range, Native: true);
                    break;

                case "Concat" when output is not null && !outputs.Contains(output)
                    && node.Input.All(values.ContainsKey):
                    Own(output);
                    break;
            }
        }

        return new QdqPlan(convs, absorbed, values, calibrated);
    }

    /// <summary>A constant-mode Pad whose value is absent or an initializer holding 0.</summary>
    private static bool PadsWithZero(NodeProto pad, Initializers initializers)
    {
        var mode = pad.Attribute.FirstOrDefault(a => a.Name == "mode")?.S.ToStringUtf8() ?? "constant";
        if (mode != "constant" || pad.Attribute.Any(a => a.Name == "value"))
        {
            // Opset 2's value attribute is not rewritten.
            return false;
        }

        if (pad.Input.Count < 3 || pad.Input[2].Length == 0)
        {
            return true;
        }

        return initializers.IsFloat(pad.Input[2]) && initializers.Floats(pad.Input[2]) is [0f];
    }
}
