using UNetPP.Cluster.Segmentation.Onnx;
using static UNetPP.Cluster.Segmentation.Model.OnnxGraph;

namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>
/// Puts a package whose tensors order batch, channel, y and x otherwise (Keras exports give <c>byxc</c>) into the
/// engine's order, with a Transpose at each end of its graph so its weights stay as they are, and its test
/// tensors with them.
/// </summary>
internal static class AxisOrder
{
    /// <summary>What the engine feeds a model and reads from it: batch, channel, y, x.</summary>
    public const string Engine = "bcyx";

    /// <summary>Whether <paramref name="axes"/> holds batch, channel, y and x once each, in any order.</summary>
    public static bool IsReorderable(string axes) => axes.Length == Engine.Length && Engine.All(a => axes.Contains(a));

    /// <summary>Feeds the graph's <paramref name="input"/> from a new input in the engine's order; returns that input's name.</summary>
    public static string ReorderInput(GraphProto graph, ValueInfoProto input, string axes)
    {
        if (axes == Engine)
        {
            return input.Name;
        }

        var name = $"{input.Name}.{Engine}";
        graph.Node.Insert(0, Node("Transpose", name, [name], input.Name, Ints("perm", [.. axes.Select(a => (long)Engine.IndexOf(a))])));
        graph.Input[graph.Input.IndexOf(input)] = Reordered(input, name, axes);
        return name;
    }

    /// <summary>Adds an output in the engine's order after the graph's <paramref name="output"/>; returns its name.</summary>
    public static string ReorderOutput(GraphProto graph, ValueInfoProto output, string axes)
    {
        if (axes == Engine)
        {
            return output.Name;
        }

        var name = $"{output.Name}.{Engine}";
        graph.Node.Add(Node("Transpose", name, [output.Name], name, Ints("perm", [.. Engine.Select(a => (long)axes.IndexOf(a))])));
        graph.Output[graph.Output.IndexOf(output)] = Reordered(output, name, axes);
        return name;
    }

    /// <summary>The tensor's values in the engine's order.</summary>
    public static NpyArray Reorder(NpyArray tensor, string axes)
    {
        if (axes == Engine)
        {
            return tensor;
        }

        var from = tensor.Shape;
        var strides = new long[from.Count];
        for (var d = from.Count - 1; d >= 0; d--)
        {
            strides[d] = d == from.Count - 1 ? 1 : strides[d + 1] * from[d + 1];
        }

        long[] shape = [.. Engine.Select(a => from[axes.IndexOf(a)])];
        long[] step = [.. Engine.Select(a => strides[axes.IndexOf(a)])];
        var values = new float[tensor.Values.Length];
        var k = 0;
        for (var b = 0L; b < shape[0]; b++)
        {
            for (var c = 0L; c < shape[1]; c++)
            {
                for (var y = 0L; y < shape[2]; y++)
                {
                    for (var x = 0L; x < shape[3]; x++)
                    {
                        values[k++] = tensor.Values[(b * step[0]) + (c * step[1]) + (y * step[2]) + (x * step[3])];
                    }
                }
            }
        }

        return new NpyArray(shape, values);
    }

    private static ValueInfoProto Reordered(ValueInfoProto value, string name, string axes)
    {
        var reordered = new ValueInfoProto { Name = name, Type = value.Type?.Clone() };
        if (reordered.Type?.TensorType?.Shape is { Dim.Count: 4 } shape)
        {
            var dims = shape.Dim.ToList();
            shape.Dim.Clear();
            shape.Dim.AddRange(Engine.Select(a => dims[axes.IndexOf(a)]));
        }

        return reordered;
    }
}
