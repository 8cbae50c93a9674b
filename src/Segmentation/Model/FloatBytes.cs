using System.Buffers.Binary;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>Floats as the little-endian bytes that both ONNX raw_data and safetensors prescribe, whatever the host order.</summary>
internal static class FloatBytes
{
    public static byte[] ToLittleEndian(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var k = 0; k < values.Length; k++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(k * 4), values[k]);
        }

        return bytes;
    }

    /// <summary>Each value rounded to the nearest half-precision float, as ONNX float16 raw_data holds them.</summary>
    public static byte[] ToLittleEndianHalves(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        for (var k = 0; k < values.Length; k++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(k * 2), (Half)values[k]);
        }

        return bytes;
    }

    public static float[] FromLittleEndian(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / 4];
        for (var k = 0; k < values.Length; k++)
        {
            values[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(k * 4)..]);
        }

        return values;
    }
}
