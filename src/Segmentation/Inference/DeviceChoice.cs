using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// A device as operators ask for it: <c>auto</c>, <c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>.
/// A named device is that device or an error; <c>auto</c> is settled once, at start, by <see cref="DeviceProbe"/>.
/// </summary>
public readonly record struct DeviceChoice
{
    private DeviceChoice(InferenceDevice? device) => Device = device;

    /// <summary>CUDA device 0 when it can be used, otherwise the CPU.</summary>
    public static DeviceChoice Auto { get; } = new(null);

    /// <summary>The device asked for by name; null for <c>auto</c>.</summary>
    public InferenceDevice? Device { get; }

    public static DeviceChoice Of(InferenceDevice device) => new(device);

    public static DeviceChoice Parse(string text)
    {
        var value = text.Trim().ToLowerInvariant();
        switch (value)
        {
            case "auto":
                return Auto;
            case "cpu":
                return Of(InferenceDevice.Cpu);
            case "cuda":
                return Of(InferenceDevice.Cuda(0));
        }

        if (value.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return Of(InferenceDevice.Cuda(index));
        }

        throw new FormatException($"'{text}' is not an inference device; use auto, cpu or cuda:N (for example cuda:0).");
    }

    public override string ToString() => Device?.ToString() ?? "auto";
}
