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

    /// <summary>
    /// Batches run on the session at once, each with its own pinned buffers: with two, one batch is
    /// copied in and handed back while the other computes. One keeps the device to a single batch.
    /// </summary>
    public int InFlightBatches { get; init; } = 1;
}
