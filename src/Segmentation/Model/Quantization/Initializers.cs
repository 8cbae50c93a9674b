using System.Buffers.Binary;
using Google.Protobuf;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>A graph's initializers by name, read and written as the quantiser needs them.</summary>
internal sealed class Initializers
{
    private readonly GraphProto _graph;
    private readonly Dictionary<string, TensorProto> _byName;

    public Initializers(GraphProto graph)
    {
        _graph = graph;
        _byName = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorProto Get(string name) => _byName[name];

    /// <summary>Whether <paramref name="name"/> is a float32 initializer.</summary>
    public bool IsFloat(string name) =>
        _byName.TryGetValue(name, out var tensor) && tensor.DataType == (int)TensorProto.Types.DataType.Float;

    public float[] Floats(string name)
    {
        var tensor = _byName[name];
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"initializer '{name}' is not float32");
        }

        return tensor.RawData.Length > 0 ? FloatBytes.FromLittleEndian(tensor.RawData.Span) : [.. tensor.FloatData];
    }

    public long[] Shape(string name) => [.. _byName[name].Dims];

    /// <summary>Adds or replaces an initializer.</summary>
    public void Set(TensorProto tensor)
    {
        if (_byName.TryGetValue(tensor.Name, out var old))
        {
            _graph.Initializer.Remove(old);
        }

        _graph.Initializer.Add(tensor);
        _byName[tensor.Name] = tensor;
    }

    public string Unique(string name)
    {
        var candidate = name;
        for (var k = 1; _byName.ContainsKey(candidate); k++)
        {
            candidate = $"{name}.{k}";
        }

        return candidate;
    }

    public static TensorProto Float(string name, IEnumerable<long> dims, ReadOnlySpan<float> values) =>
        Raw(name, dims, TensorProto.Types.DataType.Float, FloatBytes.ToLittleEndian(values));

    public static TensorProto Int8(string name, IEnumerable<long> dims, ReadOnlySpan<sbyte> values) =>
        Raw(name, dims, TensorProto.Types.DataType.Int8, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray());

    public static TensorProto UInt8(string name, IEnumerable<long> dims, ReadOnlySpan<byte> values) =>
        Raw(name, dims, TensorProto.Types.DataType.Uint8, values.ToArray());

    public static TensorProto Int32(string name, IEnumerable<long> dims, ReadOnlySpan<int> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var k = 0; k < values.Length; k++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(k * 4), values[k]);
        }

        return Raw(name, dims, TensorProto.Types.DataType.Int32, bytes);
    }

    private static TensorProto Raw(string name, IEnumerable<long> dims, TensorProto.Types.DataType type, byte[] bytes)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }
}
