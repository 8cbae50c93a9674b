using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>An inference device as operators name it: <c>cpu</c> or <c>cuda:N</c>.</summary>
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

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>.</summary>
    public static InferenceDevice Parse(string text)
    {
        var value = text.Trim().ToLowerInvariant();
        if (value == "cpu")
        {
            return Cpu;
        }

        if (value == "cuda")
        {
            return Cuda(0);
        }

        if (value.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return Cuda(index);
        }

        throw new FormatException($"'{text}' is not an inference device; use cpu or cuda:N (for example cuda:0).");
    }

    public override string ToString() => IsCuda ? $"cuda:{Index}" : "cpu";
}
