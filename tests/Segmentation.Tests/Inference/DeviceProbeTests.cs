using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

/// <summary>
/// A device named is that device or an error; <c>auto</c> is CUDA when it works and the CPU with one
/// warning when it does not. These machines, like CI, have no CUDA: ONNX Runtime's CUDA provider is
/// shipped but the CUDA libraries it needs are not installed.
/// </summary>
public sealed class DeviceProbeTests
{
    [Fact]
    public void ACudaDeviceThatCannotLoadIsAnErrorNamingWhatIsMissing()
    {
        var model = TinyModels.PointwiseConvolution(2, 1, out _);

        var error = Assert.Throws<DeviceUnavailableException>(
            () => DeviceSession.Open(model, new DeviceSessionOptions { Device = InferenceDevice.Cuda(0) }, NullLogger.Instance));

        Assert.Matches(@"^cuda:0 cannot be used: ONNX Runtime's CUDA provider needs lib\w+\.so[\d.]* \([^)]+\), which is not installed \(or not on LD_LIBRARY_PATH\)$", error.Message);
    }

    [Fact]
    public void ANamedCudaDeviceIsProbedAndItsFailureIsTheError()
    {
        var logger = new RecordingLogger();
        var probe = new DeviceProbe(OnnxInferenceRuntime.Instance, new DeviceSessionOptions(), logger);

        var error = Assert.Throws<DeviceUnavailableException>(() => probe.Resolve(DeviceChoice.Parse("cuda:0")));

        Assert.StartsWith("cuda:0 cannot be used: ", error.Message, StringComparison.Ordinal);
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public void AutoWithoutUsableCudaIsTheCpuWithOneWarningSayingWhy()
    {
        var logger = new RecordingLogger();
        var probe = new DeviceProbe(OnnxInferenceRuntime.Instance, new DeviceSessionOptions(), logger);

        var device = probe.Resolve(DeviceChoice.Auto);

        Assert.Equal(InferenceDevice.Cpu, device);
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.StartsWith("Inference device auto is cpu: cuda:0 cannot be used: ", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AutoWhereCudaOpensIsCudaDeviceZero()
    {
        var runtime = new RecordingRuntime(cudaWorks: true);
        var probe = new DeviceProbe(runtime, new DeviceSessionOptions(), NullLogger.Instance);

        Assert.Equal(InferenceDevice.Cuda(0), probe.Resolve(DeviceChoice.Auto));
        Assert.Equal([InferenceDevice.Cuda(0)], runtime.Opened);
    }

    [Fact]
    public void TheCpuIsTakenAsNamedWithoutOpeningAnything()
    {
        var runtime = new RecordingRuntime(cudaWorks: false);
        var probe = new DeviceProbe(runtime, new DeviceSessionOptions(), NullLogger.Instance);

        Assert.Equal(InferenceDevice.Cpu, probe.Resolve(DeviceChoice.Parse("cpu")));
        Assert.Empty(runtime.Opened);
    }

    [Fact]
    public void ASessionThatFailsToStartOnTheDeviceIsThatDevicesError()
    {
        var runtime = new RecordingRuntime(cudaWorks: false);
        var probe = new DeviceProbe(runtime, new DeviceSessionOptions(), NullLogger.Instance);

        var error = Assert.Throws<DeviceUnavailableException>(() => probe.Resolve(DeviceChoice.Parse("cuda:3")));

        Assert.Equal("cuda:3 cannot be used: this machine has no CUDA device 3", error.Message);
        Assert.Equal([InferenceDevice.Cuda(3)], runtime.Opened);
    }

    [Theory]
    [InlineData("Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory",
        "ONNX Runtime's CUDA provider needs libcublasLt.so.13 (cuBLAS, from the CUDA toolkit), which is not installed (or not on LD_LIBRARY_PATH)")]
    [InlineData("[ErrorCode:Fail] dlopen failed: libcudnn.so.9: cannot open shared object file: No such file or directory",
        "ONNX Runtime's CUDA provider needs libcudnn.so.9 (cuDNN), which is not installed (or not on LD_LIBRARY_PATH)")]
    [InlineData("libcuda.so.1: cannot open shared object file", "ONNX Runtime's CUDA provider needs libcuda.so.1 (the NVIDIA driver), which is not installed (or not on LD_LIBRARY_PATH)")]
    [InlineData("Failed to load library libonnxruntime_providers_cuda.so with error: libonnxruntime_providers_cuda.so: cannot open shared object file",
        "libonnxruntime_providers_cuda.so (ONNX Runtime's CUDA provider) is not installed (or not on LD_LIBRARY_PATH)")]
    [InlineData("CUDA failure 100: no CUDA-capable device is detected ; GPU=0 ; hostname=x", "CUDA says: no CUDA-capable device is detected")]
    [InlineData("[ErrorCode:RuntimeException] something unforeseen\nat line 2", "ONNX Runtime could not start CUDA (something unforeseen)")]
    public void OnnxRuntimesMessagesAreSaidInPlainWords(string message, string expected)
    {
        Assert.Equal(expected, CudaFailure.Describe(InferenceDevice.Cuda(0), new InvalidOperationException(message)));
    }

    [Fact]
    public void TheCpuOnlyPackageSaysItHasNoCudaProvider()
    {
        Assert.Equal("this build of ONNX Runtime has no CUDA provider (it is the CPU-only package)",
            CudaFailure.Describe(InferenceDevice.Cuda(0), new EntryPointNotFoundException("OrtSessionOptionsAppendExecutionProvider_CUDA")));
    }

    /// <summary>A runtime whose CUDA sessions open or fail as told (CUDA's own words for a missing device), recording each device asked for.</summary>
    private sealed class RecordingRuntime(bool cudaWorks) : IInferenceRuntime
    {
        public List<InferenceDevice> Opened { get; } = [];

        public IDeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger)
        {
            Opened.Add(options.Device);
            if (options.Device.IsCuda && !cudaWorks)
            {
                throw CudaFailure.Unavailable(options.Device, new InvalidOperationException("CUDA failure 101: invalid device ordinal"));
            }

            return OnnxInferenceRuntime.Instance.Open(model, options with { Device = InferenceDevice.Cpu }, logger);
        }
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
