using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>
/// Folds each inference-mode BatchNormalization that directly follows a Conv into that Conv's weights and
/// bias: w′ = w · γ / √(σ² + ε) per output channel, b′ = (b − μ) · γ / √(σ² + ε) + β. Quantising needs
/// it done first: the int8 weights must be the ones the convolution really multiplies by, and a
/// BatchNormalization between a Conv and its QuantizeLinear would stop ONNX Runtime fusing them.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>Folds in place; returns how many were folded. One that cannot be folded stays as it is.</summary>
    public static int Fold(GraphProto graph)
    {
        var initializers = new Initializers(graph);
        var consumers = Consumers(graph);
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                producers[output] = node;
            }
        }

        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var folded = new List<NodeProto>();
        foreach (var bn in graph.Node.Where(n => n.OpType == "BatchNormalization" && n.Domain is "" or "ai.onnx"))
        {
            if (bn.Output.Count != 1 || bn.Input.Count != 5
                || !producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv"
                || consumers[bn.Input[0]].Count != 1 || outputs.Contains(bn.Input[0])
                || bn.Input.Skip(1).Any(i => !initializers.IsFloat(i))
                || conv.Input.Count < 2 || !initializers.IsFloat(conv.Input[1])
                || (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !initializers.IsFloat(conv.Input[2])))
            {
                continue;
            }

            var epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            var (gamma, beta, mean, variance) = (
                initializers.Floats(bn.Input[1]), initializers.Floats(bn.Input[2]), initializers.Floats(bn.Input[3]), initializers.Floats(bn.Input[4]));
            var weightShape = initializers.Shape(conv.Input[1]);
            var weights = initializers.Floats(conv.Input[1]);
            var channels = (int)weightShape[0];
            var hasBias = conv.Input.Count > 2 && conv.Input[2].Length > 0;
            var bias = hasBias ? initializers.Floats(conv.Input[2]) : new float[channels];
            var perChannel = weights.Length / channels;
            for (var o = 0; o < channels; o++)
            {
                var factor = gamma[o] / MathF.Sqrt(variance[o] + epsilon);
                for (var k = 0; k < perChannel; k++)
                {
                    weights[(o * perChannel) + k] *= factor;
                }

                bias[o] = ((bias[o] - mean[o]) * factor) + beta[o];
            }

            // New initializers, so that one a second node also reads (if any) keeps its values.
            var baseName = conv.Name.Length > 0 ? conv.Name : conv.Output[0];
            var weightName = initializers.Unique($"{baseName}.folded_weight");
            initializers.Set(Initializers.Float(weightName, weightShape, weights));
            var biasName = initializers.Unique($"{baseName}.folded_bias");
            initializers.Set(Initializers.Float(biasName, [channels], bias));
            conv.Input[1] = weightName;
            if (hasBias)
            {
                conv.Input[2] = biasName;
            }
            else
            {
                while (conv.Input.Count < 2)
                {
                    conv.Input.Add("");
                }

                conv.Input.Add(biasName);
            }

            conv.Output[0] = bn.Output[0];
            folded.Add(bn);
        }

        foreach (var bn in folded)
        {
            graph.Node.Remove(bn);
        }

        if (folded.Count > 0)
        {
            OnnxGraph.Prune(graph);
        }

        return folded.Count;
    }

    /// <summary>The nodes reading each value.</summary>
    internal static Dictionary<string, List<NodeProto>> Consumers(GraphProto graph)
    {
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                if (!consumers.TryGetValue(input, out var list))
                {
                    consumers[input] = list = [];
                }

                list.Add(node);
            }
        }

        return consumers;
    }
}
