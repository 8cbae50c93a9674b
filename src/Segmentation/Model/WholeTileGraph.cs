using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// A mode's graph for tiles whose sides divide by the network's pooling. The seed pads each upsampled
/// map up to its skip's size, an amount taken from the shapes at run time; on such tiles it is zero. Leaving those Pads (and the shape arithmetic behind them) out changes no value, but lets ONNX
/// Runtime keep every tensor in its blocked NCHWc layout from the first convolution to the last, where
/// each Pad made it leave the layout and come back at every upsampling (21 reorders at 256²): raw L4 of
/// the built-in model ran 1.1–1.8× faster (<c>unetpp-bench ort-settings</c>).
/// </summary>
public static class WholeTileGraph
{
    /// <summary>
    /// The Pad-free graph for <paramref name="height"/> × <paramref name="width"/> tiles, or null where the
    /// Pads may add something: a size the pooling does not divide, or a graph that is not the seed's
    /// NestedUNet, or whose Pads are not the run-time sized, constant kind it uses.
    /// </summary>
    public static ModelProto? For(ModelProto modeGraph, ModelCard card, int height, int width)
    {
        var graph = modeGraph.Graph;
        if (card.Architecture != ModelCard.NestedUNetArchitecture || graph is null)
        {
            return null;
        }

        // The seed's pools are a chain of halvings (x0_0 → x1_0 → …), so 2^pools divides every level's size.
        var pools = graph.Node.Count(n => n.OpType == "MaxPool");
        var pads = graph.Node.Where(n => n.OpType == "Pad").ToList();
        var constants = graph.Initializer.Select(i => i.Name)
            .Concat(graph.Node.Where(n => n.OpType == "Constant").SelectMany(n => n.Output))
            .ToHashSet(StringComparer.Ordinal);
        if (pads.Count == 0 || pools >= 31 || height % (1 << pools) != 0 || width % (1 << pools) != 0 || !pads.All(p => IsPadToSkip(p, constants)))
        {
            return null;
        }

        var model = modeGraph.Clone();
        var nodes = model.Graph.Node;
        foreach (var pad in nodes.Where(n => n.OpType == "Pad").ToList())
        {
            var (padded, source) = (pad.Output[0], pad.Input[0]);
            nodes.Remove(pad);
            if (model.Graph.Output.Any(o => o.Name == padded))
            {
                nodes.Add(OnnxGraph.Node("Identity", padded, [source], padded));
                continue;
            }

            foreach (var consumer in nodes)
            {
                for (var i = 0; i < consumer.Input.Count; i++)
                {
                    if (consumer.Input[i] == padded)
                    {
                        consumer.Input[i] = source;
                    }
                }
            }
        }

        OnnxGraph.Prune(model.Graph);
        return model;
    }

    /// <summary>
    /// A constant-mode Pad whose amounts are computed in the graph (from shapes), not fixed in the file; its
    /// fill value (an int8 file's zero point, say) does not matter where the amounts are zero.
    /// </summary>
    private static bool IsPadToSkip(NodeProto pad, HashSet<string> constants) =>
        pad.Input.Count >= 2
        && !constants.Contains(pad.Input[1])
        && pad.Attribute.All(a => a.Name != "mode" || a.S.ToStringUtf8() == "constant");
}
