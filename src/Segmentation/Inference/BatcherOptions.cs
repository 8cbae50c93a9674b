namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>How a device's batching loop groups tiles.</summary>
public sealed record BatcherOptions
{
    /// <summary>Most tiles in one run of the model.</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>
    /// How long a part-filled batch waits for more tiles before it runs anyway: long enough for
    /// other images' tiles to arrive under load, short enough not to matter for one image alone.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(4);
}
