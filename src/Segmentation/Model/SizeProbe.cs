using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// Runs a graph from elsewhere on tiny blank tiles of two sizes, on the CPU, before any image is read: a
/// <c>torch.onnx.export</c> traced at a size that is not a multiple of 16 keeps that trace's pads (or
/// reshapes) as constants, and such a graph fails on every tile, which is better said once, at load.
/// </summary>
internal static class SizeProbe
{
    /// <summary>Two multiples of 16, small enough that even the widest network runs them in milliseconds.</summary>
    private static readonly int[] Sizes = [32, 48];

    /// <summary>Throws <see cref="ModelException"/> when a head fails, or gives the wrong size or class count, at a probe size.</summary>
    public static void Check(string path, ModelProto model, ModelCard card, long batch)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        InferenceSession session;
        try
        {
            session = new InferenceSession(WithHeadsAsOutputs(model, card).ToByteArray(), options);
        }
        catch (OnnxRuntimeException e)
        {
            throw ModelException.For(path, $"ONNX Runtime cannot load the graph: {FirstLine(e.Message)}", e);
        }

        using (session)
        {
            foreach (var size in Sizes)
            {
                Run(path, session, card, batch, size);
            }
        }
    }

    private static void Run(string path, InferenceSession session, ModelCard card, long batch, int size)
    {
        var input = new float[batch * card.InChannels * size * size];
        using var value = OrtValue.CreateTensorValueFromMemory(input, [batch, card.InChannels, size, size]);
        using var runOptions = new RunOptions();
        IDisposableReadOnlyCollection<OrtValue> results;
        try
        {
            results = session.Run(runOptions, [card.InputName], [value], card.HeadOutputs);
        }
        catch (OnnxRuntimeException e)
        {
            throw ModelException.For(path, $"the graph fails on a {size}×{size} tile. {BakedIn(card)}", e);
        }

        using (results)
        {
            for (var k = 0; k < card.HeadOutputs.Count; k++)
            {
                var shape = results[k].GetTensorTypeAndShape().Shape;
                var head = card.HeadOutputs[k];
                if (shape.Length != 4)
                {
                    throw ModelException.For(path, $"head output '{head}' has {shape.Length} axes; a segmentation head gives [N, classes, H, W]");
                }

                if (shape[1] != card.Classes)
                {
                    throw ModelException.For(path, ClassMismatch(card, head, shape[1]));
                }

                if (shape[2] != size || shape[3] != size)
                {
                    throw ModelException.For(
                        path, $"head output '{head}' gives {shape[2]}×{shape[3]} for a {size}×{size} tile. {BakedIn(card)}");
                }
            }
        }
    }

    /// <summary>The card's reason to refuse a head whose channel count differs from its class count.</summary>
    public static string ClassMismatch(ModelCard card, string head, long channels) =>
        $"the card says {card.Classes} {(card.Classes == 1 ? "class" : "classes")} but head output '{head}' has {channels} {(channels == 1 ? "channel" : "channels")}; set \"classes\": {channels} in the card";

    private static string BakedIn(ModelCard card) =>
        "Its padding or reshape sizes were fixed when it was exported at one image size, so it cannot run on tiles. "
        + $"Export it again with torch.onnx.export(..., dynamic_axes={{'{card.InputName}': {{0: 'batch', 2: 'height', 3: 'width'}}, ...}}) "
        + "from an example input whose height and width are multiples of 16 (see docs/models.md)";

    /// <summary>A copy of the graph in which every head is an output, since a session only returns outputs.</summary>
    private static ModelProto WithHeadsAsOutputs(ModelProto model, ModelCard card)
    {
        var outputs = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        if (card.HeadOutputs.All(outputs.Contains))
        {
            return model;
        }

        var copy = model.Clone();
        foreach (var head in card.HeadOutputs.Where(h => !outputs.Contains(h)))
        {
            copy.Graph.Output.Add(new ValueInfoProto
            {
                Name = head,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        return copy;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
