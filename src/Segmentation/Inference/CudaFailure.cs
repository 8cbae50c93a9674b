using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// Says in a lab user's words why ONNX Runtime could not use a CUDA device: its messages name a
/// shared library or a CUDA error code, which means something only once it says what to install or check.
/// </summary>
public static partial class CudaFailure
{
    private const string Provider = "libonnxruntime_providers_";

    /// <summary>The libraries CUDA work loads, by the start of their file name, and what each one is.</summary>
    private static readonly (string Prefix, string What)[] Libraries =
    [
        ("libonnxruntime_providers_cuda", "ONNX Runtime's CUDA provider"),
        ("libonnxruntime_providers_shared", "ONNX Runtime's provider bridge"),
        ("libcudart", "the CUDA runtime"),
        ("libcublasLt", "cuBLAS, from the CUDA toolkit"),
        ("libcublas", "cuBLAS, from the CUDA toolkit"),
        ("libcurand", "cuRAND, from the CUDA toolkit"),
        ("libcufft", "cuFFT, from the CUDA toolkit"),
        ("libnvrtc", "NVRTC, from the CUDA toolkit"),
        ("libcudnn", "cuDNN"),
        ("libcuda.", "the NVIDIA driver"),
    ];

    /// <summary>The error <paramref name="device"/> gives when ONNX Runtime fails with <paramref name="error"/> on it.</summary>
    public static DeviceUnavailableException Unavailable(InferenceDevice device, Exception error) =>
        new($"{device} cannot be used: {Describe(device, error)}", error);

    /// <summary>What failed, for a lab user: the missing library and what it is, or CUDA's own words.</summary>
    public static string Describe(InferenceDevice device, Exception error)
    {
        if (error is EntryPointNotFoundException)
        {
            return "this build of ONNX Runtime has no CUDA provider (it is the CPU-only package)";
        }

        var message = error.Message;
        if (MissingLibrary().Match(message) is { Success: true } missing)
        {
            var library = missing.Groups["library"].Value;
            var what = Libraries.FirstOrDefault(l => library.StartsWith(l.Prefix, StringComparison.Ordinal)).What ?? "a library CUDA needs";
            return library.StartsWith(Provider, StringComparison.Ordinal)
                ? $"{library} ({what}) is not installed (or not on LD_LIBRARY_PATH)"
                : $"ONNX Runtime's CUDA provider needs {library} ({what}), which is not installed (or not on LD_LIBRARY_PATH)";
        }

        if (message.Contains("invalid device ordinal", StringComparison.OrdinalIgnoreCase))
        {
            return $"this machine has no CUDA device {device.Index}";
        }

        if (CudaError().Match(message) is { Success: true } cuda)
        {
            return $"CUDA says: {cuda.Groups["text"].Value.Trim().TrimEnd('.', ';')}";
        }

        var firstLine = message.Split('\n', 2)[0].Trim();
        return $"ONNX Runtime could not start CUDA ({StripErrorCode().Replace(firstLine, "")})";
    }

    [GeneratedRegex(@"(?<library>lib[\w.+-]+\.so[\w.]*): cannot open shared object file")]
    private static partial Regex MissingLibrary();

    [GeneratedRegex(@"CUDA (?:failure|error) \d+: (?<text>[^;\n]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CudaError();

    [GeneratedRegex(@"^\[ErrorCode:\w+\]\s*")]
    private static partial Regex StripErrorCode();
}
