using Microsoft.Extensions.Logging;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>ONNX Runtime, on the CPU or through its CUDA execution provider: the runtime every engine uses unless its host gives it another.</summary>
public sealed class OnnxInferenceRuntime : IInferenceRuntime
{
    private OnnxInferenceRuntime()
    {
    }

    /// <summary>The one instance: the runtime keeps no state of its own, its sessions do.</summary>
    public static OnnxInferenceRuntime Instance { get; } = new();

    public IDeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger) => DeviceSession.Open(model, options, logger);
}
