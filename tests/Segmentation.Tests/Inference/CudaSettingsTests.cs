using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

/// <summary>The CUDA provider's settings reach ONNX Runtime under its own option names.</summary>
public sealed class CudaSettingsTests
{
    [Fact]
    public void DefaultsSearchExhaustivelyCopyOnTheComputeStreamAndSetNoMemoryLimit()
    {
        var options = new CudaSettings().ProviderOptions(deviceId: 0);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["device_id"] = "0",
                ["cudnn_conv_algo_search"] = "EXHAUSTIVE",
                ["do_copy_in_default_stream"] = "1",
                ["cudnn_conv_use_max_workspace"] = "1",
            },
            options);
    }

    [Fact]
    public void EverySettingIsPassedOnForItsDevice()
    {
        var settings = new CudaSettings
        {
            MemoryLimitBytes = 8L << 30,
            ConvolutionSearch = ConvolutionSearch.Heuristic,
            CopyInDefaultStream = false,
            MaxWorkspace = false,
        };

        var options = settings.ProviderOptions(deviceId: 3);

        Assert.Equal("3", options["device_id"]);
        Assert.Equal("8589934592", options["gpu_mem_limit"]);
        Assert.Equal("HEURISTIC", options["cudnn_conv_algo_search"]);
        Assert.Equal("0", options["do_copy_in_default_stream"]);
        Assert.Equal("0", options["cudnn_conv_use_max_workspace"]);
    }

    [Fact]
    public void ASessionWithCudaSettingsOpensOnCudaOrFallsBackToTheCpu()
    {
        var model = TinyModels.PointwiseConvolution(2, 1, out var weights);
        var options = new DeviceSessionOptions
        {
            Device = InferenceDevice.Cuda(0),
            Cuda = new CudaSettings { MemoryLimitBytes = 1L << 30, ConvolutionSearch = ConvolutionSearch.Default },
        };

        using var session = DeviceSession.Open(model, options, NullLogger.Instance);

        // These machines have no GPU; one with a GPU opens the session on it with these settings.
        Assert.True(session.Device == InferenceDevice.Cpu || session.Device == InferenceDevice.Cuda(0));
        var input = Enumerable.Range(0, 2 * 4 * 4).Select(i => (i % 7) - 3f).ToArray();
        var output = new float[4 * 4];
        session.Run(input, output, 1, 2, 1, 4, 4);

        // Whichever device it opened on, it computes the model: the input's two planes weighed and summed.
        for (var p = 0; p < output.Length; p++)
        {
            Assert.Equal(TinyModels.Expected(weights, 2, 0, [input[p], input[16 + p]]), output[p], 1e-4f);
        }
    }
}
