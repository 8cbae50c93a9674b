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

    /// <summary>Floating-point initializers, less batch norm's running mean and variance (state, not learnt).</summary>
    private static long CountParameters(GraphProto graph)
    {
        var statistics = graph.Node
            .Where(n => n.OpType == "BatchNormalization")
            .SelectMany(n => n.Input.Skip(3).Take(2))
            .ToHashSet(StringComparer.Ordinal);
        int[] floating =
        [
            (int)TensorProto.Types.DataType.Float, (int)TensorProto.Types.DataType.Float16,
            (int)TensorProto.Types.DataType.Double, 16, // bfloat16, absent from the trimmed proto's enum
        ];
        return graph.Initializer
            .Where(t => floating.Contains(t.DataType) && !statistics.Contains(t.Name))
            .Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
    }
}
