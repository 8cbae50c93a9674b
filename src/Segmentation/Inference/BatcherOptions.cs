namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>How a device's batching loop groups tiles.</summary>
public sealed record BatcherOptions
{
    /// <summary>Most tiles in one run of the model.</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>
    /// How long a part-filled batch may wait for the tiles of images still being decoded (see
    /// <see cref="DeviceBatcher.Preparing"/>) before it runs anyway, or as long as the last full batch
    /// took to run if that is longer. A batch with no such image to wait for runs at once, so one
    /// image alone never waits; this bounds the wait behind an image that takes long to decode.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Batches run on the session at once, each with its own pinned buffers: with two, one batch is
    /// copied in and handed back while the other computes. One keeps the device to a single batch.
    /// </summary>
    public int InFlightBatches { get; init; } = 1;
}
