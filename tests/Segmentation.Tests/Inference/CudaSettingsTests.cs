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
}
