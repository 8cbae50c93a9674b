namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>How one device's ONNX Runtime session is built.</summary>
public sealed record DeviceSessionOptions
{
    public InferenceDevice Device { get; init; } = InferenceDevice.Cpu;

    /// <summary>Threads one operator may use on the CPU; 0 lets ONNX Runtime use every core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Whether ONNX Runtime's CPU threads spin between operators instead of sleeping. Off by default:
    /// an engine decodes, blends and encodes on the same cores, and a spinning thread takes their
    /// time. With it on, a quarter to a third of a run of the shipped model at 96² was spent in the spin
    /// loop, and the engine segmented 0.7 of raw against 1.0 with it off. Turn it on only where
    /// nothing else runs on the inference cores.
    /// </summary>
    public bool Spinning { get; init; }

    /// <summary>The CUDA provider's settings, for a CUDA device.</summary>
    public CudaSettings Cuda { get; init; } = new();
}
