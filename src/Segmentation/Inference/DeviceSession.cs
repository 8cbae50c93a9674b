using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// One ONNX Runtime session on one device, for a model with one input [N, C, H, W] and one output
/// [N, K, H, W]. A session has one CUDA stream, so callers feed it from one batching loop (see
/// <see cref="DeviceBatcher"/>) with a few batches in flight at most, not from every caller.
/// </summary>
public sealed class DeviceSession : IDeviceSession
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly ILogger _logger;

    private DeviceSession(InferenceSession session, SessionOptions sessionOptions, InferenceDevice device, string inputName, string outputName, ILogger logger)
    {
        _session = session;
        _sessionOptions = sessionOptions;
        _logger = logger;
        Device = device;
        _inputNames = [inputName];
        _outputNames = [outputName];
    }

    /// <summary>The device the session runs on.</summary>
    public InferenceDevice Device { get; }

    public string InputName => _inputNames[0];

    public string OutputName => _outputNames[0];

    /// <summary>
    /// Builds the session on the device <paramref name="options"/> name. A CUDA device whose provider
    /// cannot be loaded is a <see cref="DeviceUnavailableException"/> saying what is missing, never a
    /// quiet run on the CPU: whoever asked for a device by name gets that device.
    /// </summary>
    public static DeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger)
    {
        var (session, sessionOptions) = options.Device.IsCuda
            ? OpenOnCuda(model, options, logger)
            : OpenOnCpu(model, options);

        try
        {
            if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1)
            {
                throw new InvalidOperationException(
                    $"the model has {session.InputMetadata.Count} inputs and {session.OutputMetadata.Count} outputs; a segmentation graph has one of each.");
            }

            if (!options.Device.IsCuda)
            {
                logger.RunsOnCpu(options.IntraOpThreads == 0 ? "all cores" : $"{options.IntraOpThreads} threads");
            }

            return new DeviceSession(session, sessionOptions, options.Device, session.InputMetadata.Keys.Single(), session.OutputMetadata.Keys.Single(), logger);
        }
        catch
        {
            session.Dispose();
            sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="batch"/> images of [channels, height, width] from <paramref name="input"/>
    /// and writes [batch, classes, height, width] into <paramref name="output"/>. Both buffers belong
    /// to the caller and are used in place, so nothing is allocated per image.
    /// </summary>
    public void Run(Memory<float> input, Memory<float> output, int batch, int channels, int classes, int height, int width)
    {
        long[] inputShape = [batch, channels, height, width];
        long[] outputShape = [batch, classes, height, width];
        var info = OrtMemoryInfo.DefaultInstance;
        using var inputValue = OrtValue.CreateTensorValueFromMemory(info, input[..(batch * channels * height * width)], inputShape);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(info, output[..(batch * classes * height * width)], outputShape);
        _session.Run(_runOptions, _inputNames, [inputValue], _outputNames, [outputValue]);
    }

    /// <summary>
    /// Long-lived, pinned buffers for batches of up to <paramref name="capacity"/> tiles of
    /// <paramref name="shape"/>, bound to this session (see <see cref="PinnedBatch"/>). The caller
    /// disposes them before the session.
    /// </summary>
    public PinnedBatch CreateBatch(TileShape shape, int capacity) =>
        new(_session, _runOptions, InputName, OutputName, shape, capacity, Device.IsCuda ? CudaPinnedAllocator() : null);

    IDeviceBatch IDeviceSession.CreateBatch(TileShape shape, int capacity) => CreateBatch(shape, capacity);

    public void Dispose()
    {
        _session.Dispose();
        _sessionOptions.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>
    /// The CUDA provider's page-locked host allocator. Without it the batch lives in ordinary host
    /// memory, which works but makes CUDA stage every copy through a page-locked buffer of its own.
    /// </summary>
    private OrtAllocator? CudaPinnedAllocator()
    {
        using var info = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, Device.Index, OrtMemType.CpuOutput);
        try
        {
            return new OrtAllocator(_session, info);
        }
        catch (OnnxRuntimeException ex)
        {
            _logger.NoCudaPinnedMemory(Device, FirstLine(ex.Message));
            return null;
        }
    }

    private static (InferenceSession, SessionOptions) OpenOnCpu(byte[] model, DeviceSessionOptions options)
    {
        var sessionOptions = CreateOptions(options);
        try
        {
            return (new InferenceSession(model, sessionOptions), sessionOptions);
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    private static (InferenceSession, SessionOptions) OpenOnCuda(byte[] model, DeviceSessionOptions options, ILogger logger)
    {
        var sessionOptions = CreateOptions(options);
        try
        {
            AppendCuda(sessionOptions, options);
            var session = new InferenceSession(model, sessionOptions);
            logger.RunsOnCuda(options.Device);
            return (session, sessionOptions);
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>Where ONNX Runtime loads its CUDA provider and, through it, CUDA itself: what fails here is the device, not the model.</summary>
    private static void AppendCuda(SessionOptions sessionOptions, DeviceSessionOptions options)
    {
        try
        {
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string>(options.Cuda.ProviderOptions(options.Device.Index)));
            sessionOptions.AppendExecutionProvider_CUDA(cuda);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            throw CudaFailure.Unavailable(options.Device, ex);
        }
    }

    /// <summary>The session's settings before any provider is added; internal so benchmarks vary these very settings.</summary>
    internal static SessionOptions CreateOptions(DeviceSessionOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,

            // The memory pattern plans one block for every intermediate tensor of a run, kept for the
            // session's life: without it the arena reuses each tensor's memory as the next asks, and a
            // job of 256² images peaked 50–100 MB lower at the same speed (built-in model, batch 4).
            EnableMemoryPattern = false,
        };

        // Spinning pool threads take the cores that decoding, blending and encoding need, and one that
        // loses its core stalls every operator's join: with them sleeping, raw L4 of the built-in model
        // ran 1.1–2.3× faster on a busy two-core machine (unetpp-bench ort-settings), the engine 1.4×.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.Spinning ? "1" : "0");
        return sessionOptions;
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? text : text[..end].TrimEnd();
    }
}

internal static partial class DeviceSessionLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Inference runs on cpu ({Threads} per operator).")]
    public static partial void RunsOnCpu(this ILogger logger, string threads);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Inference runs on {Device} (CUDA execution provider).")]
    public static partial void RunsOnCuda(this ILogger logger, InferenceDevice device);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Batches on {Device} sit in ordinary host memory, which CUDA copies through a staging buffer of its own: ONNX Runtime offers no CUDA pinned allocator ({Reason}).")]
    public static partial void NoCudaPinnedMemory(this ILogger logger, InferenceDevice device, string reason);
}
