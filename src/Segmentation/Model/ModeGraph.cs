using UNetPP.Cluster.Segmentation.Onnx;
using static UNetPP.Cluster.Segmentation.Model.OnnxGraph;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// Turns a multi-head model into the graph one inference mode runs: a single <see cref="OutputName"/> output
/// holding probabilities, and nothing the mode does not need. Works from the card's head names alone, so
/// it applies equally to files built here and to files exported elsewhere.
/// </summary>
public static class ModeGraph
{
    public const string OutputName = "probabilities";

    /// <summary>The metadata key recording which mode a selected graph was made for.</summary>
    public const string ModeMetadataKey = "unetpp.mode";

    /// <summary>
    /// Returns a new model whose output is the activation of the mode's head (Lk: head k, L4 the last head)
    /// or the mean of all heads' activations (accurate), with every node and initializer that output does
    /// not reach pruned away. <paramref name="full"/> is not changed.
    /// </summary>
    public static ModelProto Select(ModelProto full, ModelCard card, InferenceMode mode)
    {
        card.Validate();
        if (!card.Supports(mode))
        {
            throw new ModelException(
                $"The model does not support mode {mode.ToName()}; its card lists {string.Join(", ", card.Modes)}.");
        }

        var model = full.Clone();
        var graph = model.Graph ?? throw new ModelException("The model has no graph.");
        var heads = HeadsFor(card, mode).ToList();
        var values = ValueNames(graph);
        var absent = heads.FirstOrDefault(h => !values.Contains(h));
        if (absent is not null)
        {
            throw new ModelException($"The model card names head output '{absent}', but the graph has no such value.");
        }

        var outputType = TypeOf(graph, heads[0]);
        if (values.Contains(OutputName))
        {
            // A foreign file may already use the name; move it aside so the new output is unambiguous.
            var aside = Enumerable.Range(1, int.MaxValue).Select(k => $"{OutputName}.{k}").First(n => !values.Contains(n));
            Rename(graph, OutputName, aside);
            heads = [.. heads.Select(h => h == OutputName ? aside : h)];
        }

        var activated = heads.Select(head => Activate(graph, card, head, heads.Count == 1 ? OutputName : $"{head}.{OutputName}")).ToList();
        if (heads.Count > 1)
        {
            graph.Node.Add(Node("Mean", $"{OutputName}.mean", activated, OutputName));
        }

        graph.Output.Clear();
        graph.Output.Add(new ValueInfoProto { Name = OutputName, Type = outputType });
        Prune(graph);

        for (var k = model.MetadataProps.Count - 1; k >= 0; k--)
        {
            if (model.MetadataProps[k].Key == ModeMetadataKey)
            {
                model.MetadataProps.RemoveAt(k);
            }
        }

        model.MetadataProps.Add(new StringStringEntryProto { Key = ModeMetadataKey, Value = mode.ToName() });
        return model;
    }

    /// <summary>The head outputs a mode reads; L1–L3 exist only on four-head cards (checked by the card).</summary>
    private static IEnumerable<string> HeadsFor(ModelCard card, InferenceMode mode) => mode switch
    {
        InferenceMode.Accurate => card.HeadOutputs,
        InferenceMode.L4 => [card.HeadOutputs[^1]],
        _ => [card.HeadOutputs[(int)mode]],
    };

    private static string Activate(GraphProto graph, ModelCard card, string head, string output)
    {
        var name = $"{output}.activation";
        graph.Node.Add(!card.HeadsAreLogits
            ? Node("Identity", name, [head], output)
            : card.Activation == ModelCard.Softmax
                ? Node("Softmax", name, [head], output, Int("axis", 1))
                : Node("Sigmoid", name, [head], output));
        return output;
    }

    /// <summary>The head's declared type (shape [N, classes, H, W] for built models), or a float tensor of unknown shape.</summary>
    private static TypeProto TypeOf(GraphProto graph, string head) =>
        graph.Output.Concat(graph.ValueInfo).FirstOrDefault(v => v.Name == head && v.Type is not null)?.Type.Clone()
        ?? new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } };
}
