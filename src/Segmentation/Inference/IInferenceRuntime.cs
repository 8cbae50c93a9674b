using Microsoft.Extensions.Logging;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// What opens a model on a device: the execution provider behind every engine. ONNX Runtime
/// (<see cref="OnnxInferenceRuntime"/>) is the product's; another provider, or a host that wraps one, is one
/// more implementation of this.
/// </summary>
public interface IInferenceRuntime
{
    /// <summary>Opens <paramref name="model"/> (ONNX bytes) on the device <paramref name="options"/> name.</summary>
    IDeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger);
}
