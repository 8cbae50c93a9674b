using System.Buffers.Binary;
using System.Text.Json;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to its dtype, shape and byte range, then the raw little-endian data. Chosen because PyTorch
/// state dicts convert to it without pickle, so loading a trained checkpoint cannot execute code.
/// </summary>
internal sealed class SafetensorsFile
{
    // A header that claims more than this is a wrong or hostile file, not a state dict.
    private const long MaxHeaderBytes = 100L << 20;

    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2,
        ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
        ["U16"] = 2, ["U32"] = 4, ["U64"] = 8, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
    };

    private readonly byte[] bytes;
    private readonly long dataStart;

    private SafetensorsFile(string path, byte[] bytes, long dataStart, IReadOnlyList<Entry> entries)
    {
        Path = path;
        this.bytes = bytes;
        this.dataStart = dataStart;
        Entries = entries;
    }

    public string Path { get; }

    public IReadOnlyList<Entry> Entries { get; }

    public static SafetensorsFile Read(string path)
    {
        if (!File.Exists(path))
        {
            throw ModelException.For(path, "weights file not found");
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8)
        {
            throw NotSafetensors(path, $"it has only {bytes.Length} bytes");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || headerLength > (ulong)(bytes.Length - 8))
        {
            throw NotSafetensors(path, $"its header length {headerLength} does not fit a {bytes.Length}-byte file");
        }

        var dataStart = 8 + (long)headerLength;
        var dataLength = bytes.Length - dataStart;
        var entries = new List<Entry>();
        try
        {
            using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw NotSafetensors(path, "its header is not a JSON object");
            }

            foreach (var property in header.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                var entry = ParseEntry(property);
                if (entry is null || entry.Begin < 0 || entry.End < entry.Begin || entry.End > dataLength)
                {
                    throw NotSafetensors(path, $"header entry '{property.Name}' is malformed or points outside the data");
                }

                if (ElementSizes.TryGetValue(entry.DType, out var size) && entry.End - entry.Begin != entry.Elements * size)
                {
                    throw NotSafetensors(
                        path,
                        $"tensor {entry.Name} holds {entry.End - entry.Begin} bytes, not the {entry.Elements * size} its {entry.DType} shape {Format(entry.Shape)} needs");
                }

                entries.Add(entry);
            }
        }
        catch (JsonException e)
        {
            throw NotSafetensors(path, "its header is not JSON", e);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json reports invalid UTF-8 in a name only when the name is read.
            throw NotSafetensors(path, "its header is not UTF-8 JSON", e);
        }

        return new SafetensorsFile(path, bytes, dataStart, entries);
    }

    /// <summary>The tensor's values as floats; F16, BF16 and F64 are converted, other dtypes refused.</summary>
    public float[] ReadFloats(Entry entry)
    {
        var data = bytes.AsSpan((int)(dataStart + entry.Begin), (int)(entry.End - entry.Begin));
        var values = new float[entry.Elements];
        switch (entry.DType)
        {
            case "F32":
                return FloatBytes.FromLittleEndian(data);
            case "F16":
                for (var k = 0; k < values.Length; k++)
                {
                    values[k] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(k * 2)..]);
                }

                break;
            case "BF16":
                for (var k = 0; k < values.Length; k++)
                {
                    // bfloat16 is the top half of a float32, so widening is a shift.
                    values[k] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(k * 2)..]) << 16);
                }

                break;
            case "F64":
                for (var k = 0; k < values.Length; k++)
                {
                    values[k] = (float)BinaryPrimitives.ReadDoubleLittleEndian(data[(k * 8)..]);
                }

                break;
            default:
                throw ModelException.For(
                    Path, $"tensor {entry.Name} has dtype {entry.DType}; supported are F32, F16, BF16 and F64");
        }

        return values;
    }

    /// <summary>Writes F32 tensors in the given order, header padded to 8 bytes as the reference writer does.</summary>
    public static void Write(string path, IEnumerable<(string Name, IReadOnlyList<int> Shape, float[] Values)> tensors)
    {
        var list = tensors.ToList();
        using var headerBuffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerBuffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape, values) in list)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (var d in shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += values.Length * 4L;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        while (headerBuffer.Length % 8 != 0)
        {
            headerBuffer.WriteByte((byte)' ');
        }

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBuffer.Length);
            stream.Write(length);
            headerBuffer.Position = 0;
            headerBuffer.CopyTo(stream);
            foreach (var (_, _, values) in list)
            {
                stream.Write(FloatBytes.ToLittleEndian(values));
            }
        });
    }

    public static string Format(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    private static Entry? ParseEntry(JsonProperty property)
    {
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2)
        {
            return null;
        }

        var dims = new List<long>();
        foreach (var d in shape.EnumerateArray())
        {
            if (!d.TryGetInt64(out var dim) || dim < 0)
            {
                return null;
            }

            dims.Add(dim);
        }

        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end))
        {
            return null;
        }

        return new Entry(property.Name, dtype.GetString()!, [.. dims], begin, end);
    }

    private static ModelException NotSafetensors(string path, string reason, Exception? inner = null) =>
        ModelException.For(path, $"not a safetensors file: {reason}", inner);

    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End)
    {
        public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
    }
}
