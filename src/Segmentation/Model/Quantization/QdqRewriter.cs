using UNetPP.Cluster.Segmentation.Onnx;
using static UNetPP.Cluster.Segmentation.Model.OnnxGraph;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>What the rewrite did, for the people who run it.</summary>
/// <param name="QuantizedConvs">Convolutions now int8 × uint8 (QLinearConv once ONNX Runtime fuses them).</param>
/// <param name="FloatConvs">Convolutions left in float32: the heads, and the first one unless its input is quantised.</param>
/// <param name="QuantizedValues">Activations carried as uint8.</param>
public sealed record QdqSummary(int QuantizedConvs, int FloatConvs, int QuantizedValues);

/// <summary>
/// Rewrites a folded float graph in the QDQ form ONNX Runtime fuses: each quantised value is followed by a
/// QuantizeLinear to uint8 and read through a DequantizeLinear of its own by each reader (a Shape reads
/// the uint8 value itself; a Pad pads it with its zero point); each quantised Conv reads its input, its
/// int8 weights (per output channel, axis 0) and its int32 bias (at the input's scale times each
/// channel's) through DequantizeLinear, and its output goes straight into a QuantizeLinear. ONNX Runtime's
/// CPU provider turns DQ → Conv → Q into QLinearConv, DQ → MaxPool/Resize → Q into the uint8 operator,
/// and DQs → Concat → Q into QLinearConcat.
/// </summary>
internal static class QdqRewriter
{
    public static QdqSummary Rewrite(GraphProto graph, QdqPlan plan, IReadOnlyDictionary<string, ActivationRange> ranges)
    {
        var initializers = new Initializers(graph);
        var scales = new Dictionary<string, (string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        foreach (var name in plan.Calibrated)
        {
            var (scale, zeroPoint) = UInt8Scale.For(ranges[name]);
            var scaleName = initializers.Unique($"{name}.scale");
            initializers.Set(Initializers.Float(scaleName, [], [scale]));
            var zeroPointName = initializers.Unique($"{name}.zero_point");
            initializers.Set(Initializers.UInt8(zeroPointName, [], [zeroPoint]));
            scales[name] = (scaleName, zeroPointName);
        }

        (string Scale, string ZeroPoint) ParametersOf(QdqPlan.Quantized value) => scales[value.Range];
        float ScaleOf(QdqPlan.Quantized value) => UInt8Scale.For(ranges[value.Range]).Scale;

        var nodes = new List<NodeProto>();
        var readers = 0;
        void Quantize(QdqPlan.Quantized value)
        {
            var (scale, zeroPoint) = ParametersOf(value);
            nodes.Add(Node("QuantizeLinear", $"{value.Name}.quantize", [value.Name, scale, zeroPoint], value.QuantizedName));
        }

        string Dequantized(QdqPlan.Quantized value)
        {
            var (scale, zeroPoint) = ParametersOf(value);
            var name = $"{value.Name}.dequantized.{readers++}";
            nodes.Add(Node("DequantizeLinear", name, [value.QuantizedName, scale, zeroPoint], name));
            return name;
        }

        var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var value in plan.Values.Values.Where(v => inputs.Contains(v.Name)))
        {
            Quantize(value);
        }

        var floatConvs = 0;
        foreach (var node in graph.Node)
        {
            if (plan.Absorbed.Contains(node))
            {
                continue;
            }

            if (plan.Convs.Contains(node))
            {
                var input = plan.Values[node.Input[0]];
                node.Input[0] = Dequantized(input);
                QuantizeWeights(node, ScaleOf(input), initializers, nodes);
                var relu = plan.Absorbed.FirstOrDefault(r => r.Input[0] == node.Output[0]);
                if (relu is not null)
                {
                    node.Output[0] = relu.Output[0];
                }
            }
            else if (node.OpType == "Shape")
            {
                for (var k = 0; k < node.Input.Count; k++)
                {
                    if (plan.Values.TryGetValue(node.Input[k], out var value))
                    {
                        node.Input[k] = value.QuantizedName;
                    }
                }
            }
            else if (node.OpType == "Pad" && node.Output.Count == 1 && plan.Values.TryGetValue(node.Output[0], out var padded) && padded.Native)
            {
                var source = plan.Values[node.Input[0]];
                node.Input[0] = source.QuantizedName;
                while (node.Input.Count < 3)
                {
                    node.Input.Add("");
                }

                node.Input[2] = ParametersOf(source).ZeroPoint;
                node.Output[0] = padded.QuantizedName;
            }
            else
            {
                if (node.OpType == "Conv")
                {
                    floatConvs++;
                }

                for (var k = 0; k < node.Input.Count; k++)
                {
                    if (plan.Values.TryGetValue(node.Input[k], out var value))
                    {
                        node.Input[k] = Dequantized(value);
                    }
                }
            }

            nodes.Add(node);
            foreach (var output in node.Output)
            {
                if (plan.Values.TryGetValue(output, out var value) && !value.Native)
                {
                    Quantize(value);
                }
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        Prune(graph);
        return new QdqSummary(plan.Convs.Count, floatConvs, plan.Values.Count);
    }

    /// <summary>Replaces a Conv's float weights and bias by int8 and int32 initializers read through DequantizeLinear.</summary>
    private static void QuantizeWeights(NodeProto conv, float inputScale, Initializers initializers, List<NodeProto> nodes)
    {
        var baseName = conv.Name.Length > 0 ? conv.Name : conv.Output[0];
        var shape = initializers.Shape(conv.Input[1]);
        var outputs = (int)shape[0];
        var weights = Int8Weights.Quantize(initializers.Floats(conv.Input[1]), outputs);

        var weight = initializers.Unique($"{baseName}.weight_quantized");
        var weightScale = initializers.Unique($"{baseName}.weight_scale");
        var weightZero = initializers.Unique($"{baseName}.weight_zero_point");
        initializers.Set(Initializers.Int8(weight, shape, weights.Values));
        initializers.Set(Initializers.Float(weightScale, [outputs], weights.Scales));
        initializers.Set(Initializers.Int8(weightZero, [outputs], new sbyte[outputs]));
        var weightDq = $"{baseName}.weight_dequantized";
        nodes.Add(Node("DequantizeLinear", weightDq, [weight, weightScale, weightZero], weightDq, Int("axis", 0)));
        conv.Input[1] = weightDq;

        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
        {
            var (values, scales) = weights.QuantizeBias(initializers.Floats(conv.Input[2]), inputScale);
            var bias = initializers.Unique($"{baseName}.bias_quantized");
            var biasScale = initializers.Unique($"{baseName}.bias_scale");
            var biasZero = initializers.Unique($"{baseName}.bias_zero_point");
            initializers.Set(Initializers.Int32(bias, [outputs], values));
            initializers.Set(Initializers.Float(biasScale, [outputs], scales));
            initializers.Set(Initializers.Int32(biasZero, [outputs], new int[outputs]));
            var biasDq = $"{baseName}.bias_dequantized";
            nodes.Add(Node("DequantizeLinear", biasDq, [bias, biasScale, biasZero], biasDq, Int("axis", 0)));
            conv.Input[2] = biasDq;
        }
    }
}
