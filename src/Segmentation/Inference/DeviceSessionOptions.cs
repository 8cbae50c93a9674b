namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>How one device's ONNX Runtime session is built.</summary>
public sealed record DeviceSessionOptions
{
    public InferenceDevice Device { get; init; } = InferenceDevice.Cpu;

    /// <summary>Threads one operator may use on the CPU; 0 lets ONNX Runtime use every core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>The CUDA provider's settings, for a CUDA device.</summary>
    public CudaSettings Cuda { get; init; } = new();
}
