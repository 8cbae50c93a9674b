using System.Numerics.Tensors;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

/// <summary>A batch of feature maps in NCHW order, flat.</summary>
internal sealed record FeatureMap(int N, int C, int H, int W, float[] Data)
{
    public int Plane => H * W;

    public static FeatureMap Zeros(int n, int c, int h, int w) => new(n, c, h, w, new float[n * c * h * w]);
}

/// <summary>
/// The seed's forward pass in plain C#, written from the PyTorch module (not from the ONNX builder) so
/// that agreement with ONNX Runtime means the graph is right, not merely self-consistent. With
/// <paramref name="halfActivations"/> the input and every result that rounding can change are rounded
/// to float16, as a float16 graph stores its activations between a GPU's kernels (each operation still
/// computes in float32, as float16 convolutions that accumulate in float32 do).
/// </summary>
internal sealed class NestedUNetReference(NestedUNetWeights weights, bool halfActivations = false)
{
    private const float Epsilon = 1e-5f;

    /// <summary>Every head's logits in the order final1..final4 (or the single final).</summary>
    public IReadOnlyList<FeatureMap> Heads(FeatureMap input)
    {
        input = Stored(input with { Data = (float[])input.Data.Clone() });
        var x = new FeatureMap[5, 5];
        for (var i = 0; i < 5; i++)
        {
            x[i, 0] = Block($"conv{i}_0", i == 0 ? input : MaxPool(x[i - 1, 0]));
        }

        for (var j = 1; j < 5; j++)
        {
            for (var i = 0; i + j < 5; i++)
            {
                var parts = new List<FeatureMap>();
                for (var k = 0; k < j; k++)
                {
                    parts.Add(x[i, k]);
                }

                parts.Add(PadTo(Upsample(x[i + 1, j - 1]), x[i, 0].H, x[i, 0].W));
                x[i, j] = Block($"conv{i}_{j}", Concat(parts));
            }
        }

        return weights.Options.DeepSupervision
            ? [.. Enumerable.Range(1, 4).Select(k => Conv(x[0, k], $"final{k}", 1))]
            : [Conv(x[0, 4], "final", 1)];
    }

    private FeatureMap Block(string module, FeatureMap input)
    {
        var y = Relu(BatchNorm(Conv(input, $"{module}.conv1", 3), $"{module}.bn1"));
        return Relu(BatchNorm(Conv(y, $"{module}.conv2", 3), $"{module}.bn2"));
    }

    /// <summary>Cross-correlation with bias and zero padding k / 2, one output plane per task.</summary>
    private FeatureMap Conv(FeatureMap input, string name, int k)
    {
        var w = weights.Values($"{name}.weight");
        var b = weights.Values($"{name}.bias");
        var outChannels = b.Length;
        var (h, width, pad) = (input.H, input.W, k / 2);
        var output = FeatureMap.Zeros(input.N, outChannels, h, width);
        Parallel.For(0, input.N * outChannels, task =>
        {
            var (n, o) = (task / outChannels, task % outChannels);
            var dst = output.Data.AsSpan(task * output.Plane, output.Plane);
            dst.Fill(b[o]);
            for (var c = 0; c < input.C; c++)
            {
                var src = input.Data.AsSpan(((n * input.C) + c) * input.Plane, input.Plane);
                for (var ky = 0; ky < k; ky++)
                {
                    for (var kx = 0; kx < k; kx++)
                    {
                        var wv = w[((((o * input.C) + c) * k) + ky) * k + kx];
                        var (dy, dx) = (ky - pad, kx - pad);
                        var x0 = Math.Max(0, -dx);
                        var length = Math.Min(width, width - dx) - x0;
                        for (var y = Math.Max(0, -dy); y < Math.Min(h, h - dy); y++)
                        {
                            var row = dst.Slice((y * width) + x0, length);
                            var from = src.Slice(((y + dy) * width) + x0 + dx, length);
                            TensorPrimitives.MultiplyAdd(from, wv, row, row);
                        }
                    }
                }
            }
        });
        return Stored(output);
    }

    private FeatureMap BatchNorm(FeatureMap input, string name)
    {
        var (gamma, beta) = (weights.Values($"{name}.weight"), weights.Values($"{name}.bias"));
        var (mean, variance) = (weights.Values($"{name}.running_mean"), weights.Values($"{name}.running_var"));
        var output = FeatureMap.Zeros(input.N, input.C, input.H, input.W);
        for (var n = 0; n < input.N; n++)
        {
            for (var c = 0; c < input.C; c++)
            {
                var scale = gamma[c] / MathF.Sqrt(variance[c] + Epsilon);
                var offset = ((n * input.C) + c) * input.Plane;
                for (var p = 0; p < input.Plane; p++)
                {
                    output.Data[offset + p] = ((input.Data[offset + p] - mean[c]) * scale) + beta[c];
                }
            }
        }

        return Stored(output);
    }

    /// <summary>Rounds <paramref name="map"/> to float16 in place when activations are half; ReLU, pooling, padding and concatenation keep values that are.</summary>
    private FeatureMap Stored(FeatureMap map)
    {
        if (halfActivations)
        {
            for (var k = 0; k < map.Data.Length; k++)
            {
                map.Data[k] = (float)(Half)map.Data[k];
            }
        }

        return map;
    }

    private static FeatureMap Relu(FeatureMap input)
    {
        var output = input with { Data = (float[])input.Data.Clone() };
        for (var p = 0; p < output.Data.Length; p++)
        {
            output.Data[p] = Math.Max(0f, output.Data[p]);
        }

        return output;
    }

    /// <summary>MaxPool2d(2, 2): floor division drops a last odd row or column.</summary>
    private static FeatureMap MaxPool(FeatureMap input)
    {
        var (h, w) = (input.H / 2, input.W / 2);
        var output = FeatureMap.Zeros(input.N, input.C, h, w);
        for (var nc = 0; nc < input.N * input.C; nc++)
        {
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var s = (nc * input.Plane) + (2 * y * input.W) + (2 * x);
                    output.Data[(nc * output.Plane) + (y * w) + x] = Math.Max(
                        Math.Max(input.Data[s], input.Data[s + 1]),
                        Math.Max(input.Data[s + input.W], input.Data[s + input.W + 1]));
                }
            }
        }

        return output;
    }

    /// <summary>Bilinear ×2 with align_corners: output 2H, source coordinate dst·(H−1)/(2H−1).</summary>
    private FeatureMap Upsample(FeatureMap input)
    {
        var (h, w) = (2 * input.H, 2 * input.W);
        var output = FeatureMap.Zeros(input.N, input.C, h, w);
        for (var nc = 0; nc < input.N * input.C; nc++)
        {
            for (var y = 0; y < h; y++)
            {
                var (y0, y1, fy) = Source(y, input.H, h);
                for (var x = 0; x < w; x++)
                {
                    var (x0, x1, fx) = Source(x, input.W, w);
                    float At(int yy, int xx) => input.Data[(nc * input.Plane) + (yy * input.W) + xx];
                    var top = At(y0, x0) + (fx * (At(y0, x1) - At(y0, x0)));
                    var bottom = At(y1, x0) + (fx * (At(y1, x1) - At(y1, x0)));
                    output.Data[(nc * output.Plane) + (y * w) + x] = top + (fy * (bottom - top));
                }
            }
        }

        return Stored(output);
    }

    private static (int Low, int High, float Fraction) Source(int dst, int inSize, int outSize)
    {
        var position = outSize > 1 ? dst * (double)(inSize - 1) / (outSize - 1) : 0;
        var low = Math.Min((int)Math.Floor(position), inSize - 1);
        return (low, Math.Min(low + 1, inSize - 1), (float)(position - low));
    }

    /// <summary>Zero padding to H × W, the difference split as [d // 2, d − d // 2].</summary>
    private static FeatureMap PadTo(FeatureMap input, int h, int w)
    {
        var (top, left) = ((h - input.H) / 2, (w - input.W) / 2);
        var output = FeatureMap.Zeros(input.N, input.C, h, w);
        for (var nc = 0; nc < input.N * input.C; nc++)
        {
            for (var y = 0; y < input.H; y++)
            {
                input.Data.AsSpan((nc * input.Plane) + (y * input.W), input.W)
                    .CopyTo(output.Data.AsSpan((nc * output.Plane) + ((y + top) * w) + left));
            }
        }

        return output;
    }

    private static FeatureMap Concat(List<FeatureMap> parts)
    {
        var channels = parts.Sum(p => p.C);
        var first = parts[0];
        var output = FeatureMap.Zeros(first.N, channels, first.H, first.W);
        for (var n = 0; n < first.N; n++)
        {
            var offset = n * channels * first.Plane;
            foreach (var part in parts)
            {
                var length = part.C * part.Plane;
                part.Data.AsSpan(n * length, length).CopyTo(output.Data.AsSpan(offset));
                offset += length;
            }
        }

        return output;
    }
}
