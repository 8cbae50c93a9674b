using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>The cost of one inference mode.</summary>
/// <param name="Mode">The mode measured.</param>
/// <param name="Nodes">ONNX nodes in the mode's selected, pruned graph.</param>
/// <param name="Parameters">Learnable parameters counted as PyTorch does (weights and biases, not running statistics).</param>
/// <param name="MultiplyAccumulates">Convolution multiply-accumulates for one image, or null where the architecture is not known.</param>
public sealed record ModeFigures(InferenceMode Mode, int Nodes, long Parameters, long? MultiplyAccumulates);

/// <summary>
/// Parameters, nodes and multiply-accumulates per inference mode, so a user can weigh a fast mode against
/// the accurate one before running a dataset.
/// </summary>
public static class ModelFigures
{
    /// <summary>
    /// Figures for one mode at <paramref name="height"/> × <paramref name="width"/>. For a NestedUNet card
    /// they come from the architecture: L1–L3 count the pruned network with its one head, and L4 and
    /// accurate the whole network with all its heads, as the article's table does. For other cards the
    /// parameters are counted from the pruned graph and multiply-accumulates are unknown.
    /// </summary>
    public static ModeFigures Measure(ModelProto full, ModelCard card, InferenceMode mode, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var selected = ModeGraph.Select(full, card, mode);
        var nodes = selected.Graph.Node.Count;
        if (card.Architecture != ModelCard.NestedUNetArchitecture)
        {
            return new ModeFigures(mode, nodes, CountParameters(selected.Graph), null);
        }

        var options = new NestedUNetOptions
        {
            Filters = card.Filters,
            InChannels = card.InChannels,
            Classes = card.Classes,
            DeepSupervision = card.DeepSupervision,
        };
        var (level, heads) = mode is InferenceMode.L4 or InferenceMode.Accurate
            ? (NestedUNetLayout.Depth, card.HeadOutputs.Count)
            : ((int)mode + 1, 1);
        return new ModeFigures(
            mode,
            nodes,
            NestedUNetLayout.Parameters(options, level, heads),
            NestedUNetLayout.MultiplyAccumulates(options, level, heads, height, width));
    }

    /// <summary>Figures for every mode the card lists, in the order of <see cref="InferenceMode"/>.</summary>
    public static IReadOnlyList<ModeFigures> MeasureAll(ModelProto full, ModelCard card, int height, int width) =>
        [.. Enum.GetValues<InferenceMode>().Where(card.Supports).Select(m => Measure(full, card, m, height, width))];

    /// <summary>
    /// Initializers in the weight and bias slots of layers that learn (convolutions, matrix products, the
    /// affine part of normalisation, and the Add after a MatMul that is how Linear's bias is exported);
    /// constants such as resize scales and batch norm's running statistics are not parameters.
    /// </summary>
    private static long CountParameters(GraphProto graph)
    {
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (Output: o, n.OpType)))
            .ToDictionary(p => p.Output, p => p.OpType, StringComparer.Ordinal);
        var learnt = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            IEnumerable<string> slots = node.OpType switch
            {
                "Conv" or "ConvTranspose" or "Gemm" or "MatMul" => node.Input,
                "BatchNormalization" or "InstanceNormalization" or "LayerNormalization" => node.Input.Skip(1).Take(2),
                "Add" when node.Input.Any(i => producers.GetValueOrDefault(i) == "MatMul") => node.Input,
                _ => [],
            };
            learnt.UnionWith(slots);
        }

        return graph.Initializer
            .Where(t => learnt.Contains(t.Name))
            .Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
    }
}
