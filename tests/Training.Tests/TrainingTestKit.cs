using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;
using static TorchSharp.torch;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>Shared fixtures: small networks, non-trivial batch norm, ONNX Runtime on the CPU.</summary>
internal static class TrainingTestKit
{
    public static NestedUNetOptions Small(bool deepSupervision = true) =>
        new() { Filters = [4, 8, 16, 32, 64], DeepSupervision = deepSupervision };

    /// <summary>
    /// Gives every batch norm a random scale, shift, mean and variance, so that a wrong statistic, epsilon or
    /// input order changes the output instead of hiding behind the identity that initialisation leaves.
    /// </summary>
    public static void RandomizeBatchNorm(NestedUNet module, int seed)
    {
        random.manual_seed(seed);
        using var noGrad = no_grad();
        foreach (var (name, tensor) in module.state_dict().Where(e => e.Key.Contains(".bn", StringComparison.Ordinal)))
        {
            if (name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith(".running_var", StringComparison.Ordinal))
            {
                tensor.uniform_(0.5, 1.5);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal) || name.EndsWith(".running_mean", StringComparison.Ordinal))
            {
                tensor.uniform_(-0.2, 0.2);
            }
        }
    }

    public static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "unetpp-training-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Runs <paramref name="model"/> on the CPU and returns the named outputs, flat.</summary>
    public static float[][] RunOnnx(ModelProto model, Tensor input, IReadOnlyList<string> outputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        using var value = OrtValue.CreateTensorValueFromMemory(input.data<float>().ToArray(), input.shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [NestedUNetBuilder.InputName], [value], outputs);
        return [.. results.Select(r => r.GetTensorDataAsSpan<float>().ToArray())];
    }
}
