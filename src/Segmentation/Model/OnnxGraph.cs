using Google.Protobuf;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>Small constructors and edits for ONNX protobuf messages, so graph code reads as the graph it builds.</summary>
internal static class OnnxGraph
{
    public static NodeProto Node(string opType, string name, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static TensorProto FloatTensor(string name, IEnumerable<int> shape, ReadOnlySpan<float> values) =>
        RawTensor(name, shape, TensorProto.Types.DataType.Float, FloatBytes.ToLittleEndian(values));

    /// <summary>A float16 tensor of <paramref name="values"/>, each rounded to the nearest half.</summary>
    public static TensorProto Float16Tensor(string name, IEnumerable<int> shape, ReadOnlySpan<float> values) =>
        RawTensor(name, shape, TensorProto.Types.DataType.Float16, FloatBytes.ToLittleEndianHalves(values));

    /// <summary>A Cast of <paramref name="input"/> to the ONNX element type <paramref name="to"/>.</summary>
    public static NodeProto Cast(string input, string output, TensorProto.Types.DataType to) =>
        Node("Cast", output, [input], output, Int("to", (int)to));

    public static TensorProto Int64Tensor(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    /// <summary>A float tensor value whose dimensions are fixed sizes (long) or symbolic names (string).</summary>
    public static ValueInfoProto FloatValue(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }

    /// <summary>
    /// Keeps only the nodes, initializers and value infos that the graph's outputs depend on. Reachability
    /// runs backwards from the outputs, so this is correct for any graph, not only the ones built here.
    /// </summary>
    public static void Prune(GraphProto graph)
    {
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                producer[output] = node;
            }
        }

        var needed = new HashSet<string>(StringComparer.Ordinal);
        var keep = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>(graph.Output.Select(o => o.Name));
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            if (value.Length == 0 || !needed.Add(value))
            {
                continue;
            }

            if (producer.TryGetValue(value, out var node) && keep.Add(node))
            {
                foreach (var input in node.Input)
                {
                    pending.Push(input);
                }

                // Subgraphs (If, Loop, Scan) may read outer values that are not listed as node inputs.
                foreach (var attribute in node.Attribute)
                {
                    foreach (var subgraph in attribute.Graphs.Append(attribute.G).OfType<GraphProto>())
                    {
                        foreach (var inner in subgraph.Node.SelectMany(n => n.Input))
                        {
                            pending.Push(inner);
                        }
                    }
                }
            }
        }

        RemoveWhere(graph.Node, n => !keep.Contains(n));
        RemoveWhere(graph.Initializer, t => !needed.Contains(t.Name));
        RemoveWhere(graph.ValueInfo, v => !needed.Contains(v.Name));
    }

    /// <summary>Renames a value everywhere it is produced, consumed or declared.</summary>
    public static void Rename(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            Replace(node.Input, from, to);
            Replace(node.Output, from, to);
        }

        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            if (value.Name == from)
            {
                value.Name = to;
            }
        }

        foreach (var tensor in graph.Initializer.Where(t => t.Name == from))
        {
            tensor.Name = to;
        }
    }

    /// <summary>Every value name the graph declares or produces.</summary>
    public static HashSet<string> ValueNames(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        names.UnionWith(graph.Input.Select(v => v.Name));
        names.UnionWith(graph.Initializer.Select(t => t.Name));
        names.UnionWith(graph.Node.SelectMany(n => n.Output));
        return names;
    }

    private static TensorProto RawTensor(string name, IEnumerable<int> shape, TensorProto.Types.DataType type, byte[] littleEndian)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(littleEndian) };
        tensor.Dims.AddRange(shape.Select(d => (long)d));
        return tensor;
    }

    private static void Replace(Google.Protobuf.Collections.RepeatedField<string> names, string from, string to)
    {
        for (var k = 0; k < names.Count; k++)
        {
            if (names[k] == from)
            {
                names[k] = to;
            }
        }
    }

    private static void RemoveWhere<T>(Google.Protobuf.Collections.RepeatedField<T> items, Func<T, bool> remove)
    {
        var kept = items.Where(item => !remove(item)).ToList();
        items.Clear();
        items.AddRange(kept);
    }
}
