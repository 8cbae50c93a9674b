using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>How cuDNN picks each convolution's algorithm when the session is built.</summary>
public enum ConvolutionSearch
{
    /// <summary>Time every algorithm once per shape and keep the fastest: slow first batch, fastest after.</summary>
    Exhaustive,

    /// <summary>cuDNN's own guess: quick to start, a little slower to run.</summary>
    Heuristic,

    /// <summary>The default algorithm, no search.</summary>
    Default,
}

/// <summary>
/// The CUDA execution provider's settings for a device's session. Full tiles are one size, so an
/// exhaustive search pays once per session for them and wins on every batch after it; each size of
/// image smaller than a tile pays it once more.
/// </summary>
public sealed record CudaSettings
{
    /// <summary>Most bytes the session's memory arena may take on the device; null for no limit.</summary>
    public long? MemoryLimitBytes { get; init; }

    public ConvolutionSearch ConvolutionSearch { get; init; } = ConvolutionSearch.Exhaustive;

    /// <summary>
    /// Copies on the compute stream (ONNX Runtime's default and safe choice); false gives copies their
    /// own stream, overlapping a batch's upload with the previous batch's compute.
    /// </summary>
    public bool CopyInDefaultStream { get; init; } = true;

    /// <summary>Lets cuDNN use as much workspace as the fastest algorithm wants.</summary>
    public bool MaxWorkspace { get; init; } = true;

    /// <summary>The provider options as ONNX Runtime's CUDA provider names them.</summary>
    public IReadOnlyDictionary<string, string> ProviderOptions(int deviceId)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = deviceId.ToString(CultureInfo.InvariantCulture),
            ["cudnn_conv_algo_search"] = ConvolutionSearch switch
            {
                ConvolutionSearch.Exhaustive => "EXHAUSTIVE",
                ConvolutionSearch.Heuristic => "HEURISTIC",
                _ => "DEFAULT",
            },
            ["do_copy_in_default_stream"] = CopyInDefaultStream ? "1" : "0",
            ["cudnn_conv_use_max_workspace"] = MaxWorkspace ? "1" : "0",
        };
        if (MemoryLimitBytes is { } limit)
        {
            options["gpu_mem_limit"] = limit.ToString(CultureInfo.InvariantCulture);
        }

        return options;
    }
}
