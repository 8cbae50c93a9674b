namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>
/// An activation's asymmetric uint8 quantisation, x ≈ (q − ZeroPoint) · Scale: 256 steps over its range
/// widened to hold 0, so that zero (padding, a ReLU's floor) is exact.
/// </summary>
public readonly record struct UInt8Scale(float Scale, byte ZeroPoint)
{
    public static UInt8Scale For(ActivationRange range)
    {
        var low = MathF.Min(range.Low, 0);
        var high = MathF.Max(range.High, 0);
        if (high - low < 1e-20f)
        {
            // A tensor that was always zero: any positive scale holds it exactly.
            return new(1f, 0);
        }

        var scale = (high - low) / 255f;
        var zeroPoint = Math.Clamp((int)MathF.Round(-low / scale, MidpointRounding.ToEven), 0, 255);
        return new(scale, (byte)zeroPoint);
    }
}

/// <summary>
/// A convolution's weights as int8, symmetric per output channel (axis 0): w ≈ q · Scales[o], q in
/// [−127, 127], with zero points 0. On x86-64 without VNNI, ONNX Runtime's uint8 × int8 kernel adds pairs
/// of products in 16 bits, which can saturate; 7-bit weights would avoid that, but measured on the nuclei
/// model they changed the IoU by 0.0002 at most, so the full range is kept for CPUs that have VNNI.
/// </summary>
public sealed class Int8Weights
{
    private const int Limit = 127;

    private Int8Weights(sbyte[] values, float[] scales)
    {
        Values = values;
        Scales = scales;
    }

    public sbyte[] Values { get; }

    public float[] Scales { get; }

    /// <param name="weights">[outputs, …] in row-major order.</param>
    /// <param name="outputs">Output channels (the first dimension).</param>
    public static Int8Weights Quantize(ReadOnlySpan<float> weights, int outputs)
    {
        const int limit = Limit;
        var perChannel = weights.Length / outputs;
        var values = new sbyte[weights.Length];
        var scales = new float[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var channel = weights.Slice(o * perChannel, perChannel);
            var largest = 0f;
            foreach (var w in channel)
            {
                largest = MathF.Max(largest, MathF.Abs(w));
            }

            // An all-zero channel still needs a positive scale; its values are 0 whatever it is.
            var scale = largest > 0 ? largest / limit : 1f;
            scales[o] = scale;
            for (var k = 0; k < perChannel; k++)
            {
                values[(o * perChannel) + k] = (sbyte)Math.Clamp((int)MathF.Round(channel[k] / scale, MidpointRounding.ToEven), -limit, limit);
            }
        }

        return new Int8Weights(values, scales);
    }

    /// <summary>
    /// The bias in int32 at scale inputScale · Scales[o], zero point 0: what QLinearConv adds to its int32
    /// sums. Returns the scales too, computed exactly as the runtime will.
    /// </summary>
    public (int[] Values, float[] Scales) QuantizeBias(ReadOnlySpan<float> bias, float inputScale)
    {
        var values = new int[bias.Length];
        var scales = new float[bias.Length];
        for (var o = 0; o < bias.Length; o++)
        {
            scales[o] = inputScale * Scales[o];
            var q = Math.Round(bias[o] / (double)scales[o], MidpointRounding.ToEven);
            values[o] = (int)Math.Clamp(q, int.MinValue, int.MaxValue);
        }

        return (values, scales);
    }
}
