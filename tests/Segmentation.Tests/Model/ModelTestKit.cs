using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

/// <summary>Shared fixtures for the model tests: small networks, non-trivial weights, ONNX Runtime on the CPU.</summary>
internal static class ModelTestKit
{
    public static readonly IReadOnlyList<int> SmallFilters = [4, 8, 16, 32, 64];

    public static NestedUNetOptions Small(int inChannels = 3, int classes = 1, bool deepSupervision = true) =>
        new() { Filters = SmallFilters, InChannels = inChannels, Classes = classes, DeepSupervision = deepSupervision };

    /// <summary>
    /// Initial weights with batch norm made non-trivial, so a wrong statistic, epsilon or input order in
    /// the graph changes the output instead of hiding behind mean 0 and variance 1.
    /// </summary>
    public static NestedUNetWeights Weights(NestedUNetOptions options, int seed = 7)
    {
        var weights = NestedUNetWeights.CreateInitial(options, seed);
        var random = new Random(seed);
        foreach (var name in weights.Names.Where(n => n.Contains(".bn", StringComparison.Ordinal)))
        {
            var values = weights.Values(name);
            for (var k = 0; k < values.Length; k++)
            {
                values[k] = name.EndsWith(".running_mean", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal)
                    ? (float)(random.NextDouble() - 0.5) * 0.4f
                    : 0.5f + (float)random.NextDouble();
            }
        }

        return weights;
    }

    public static FeatureMap RandomInput(int n, int c, int h, int w, int seed = 1)
    {
        var random = new Random(seed);
        var input = FeatureMap.Zeros(n, c, h, w);
        for (var k = 0; k < input.Data.Length; k++)
        {
            input.Data[k] = (float)((random.NextDouble() * 4) - 2);
        }

        return input;
    }

    /// <summary>Runs <paramref name="model"/> on the CPU and returns the named outputs, flat.</summary>
    public static float[][] Run(ModelProto model, FeatureMap input, params string[] outputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        using var value = OrtValue.CreateTensorValueFromMemory(input.Data, [input.N, input.C, input.H, input.W]);
        using var runOptions = new RunOptions();
        var inputName = session.InputMetadata.Keys.Single();
        using var results = session.Run(runOptions, [inputName], [value], outputs);
        return [.. results.Select(r => r.GetTensorDataAsSpan<float>().ToArray())];
    }

    public static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0f;
        for (var k = 0; k < a.Length; k++)
        {
            max = Math.Max(max, Math.Abs(a[k] - b[k]));
        }

        return max;
    }

    public static float[] Sigmoid(float[] logits) => [.. logits.Select(v => 1f / (1f + MathF.Exp(-v)))];

    public static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "unetpp-model-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
