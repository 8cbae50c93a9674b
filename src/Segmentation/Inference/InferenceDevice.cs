namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>A device inference runs on: <c>cpu</c> or <c>cuda:N</c> (what operators may ask for is a <see cref="DeviceChoice"/>).</summary>
public readonly record struct InferenceDevice
{
    private InferenceDevice(bool isCuda, int index)
    {
        IsCuda = isCuda;
        Index = index;
    }

    public static InferenceDevice Cpu { get; } = new(false, 0);

    public bool IsCuda { get; }

    /// <summary>The CUDA device ordinal; 0 for the CPU.</summary>
    public int Index { get; }

    public static InferenceDevice Cuda(int index) =>
        index >= 0 ? new(true, index) : throw new ArgumentOutOfRangeException(nameof(index), index, "A CUDA device ordinal is 0 or more.");

    public override string ToString() => IsCuda ? $"cuda:{Index}" : "cpu";
}
