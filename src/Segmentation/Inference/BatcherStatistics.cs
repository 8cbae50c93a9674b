namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>What a batching loop has done so far.</summary>
/// <param name="Batches">Model runs.</param>
/// <param name="Tiles">Tiles the model ran: four per grid tile with test-time augmentation.</param>
/// <param name="BusyTime">Wall time during which at least one batch ran (batches in flight together count once).</param>
/// <param name="MaxBatchSize">The configured batch size, to judge the fill against.</param>
/// <param name="InFlightBatches">The configured batches in flight, to judge the busy time against.</param>
public sealed record BatcherStatistics(long Batches, long Tiles, TimeSpan BusyTime, int MaxBatchSize, int InFlightBatches)
{
    /// <summary>Mean tiles per batch as a fraction of the batch size (1 = every batch full).</summary>
    public double MeanBatchFill => Batches == 0 ? 0 : (double)Tiles / Batches / MaxBatchSize;
}
