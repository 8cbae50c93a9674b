namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>One model open on one device, as the batching loop uses it: batches to run it through.</summary>
public interface IDeviceSession : IDisposable
{
    /// <summary>The device the model runs on.</summary>
    InferenceDevice Device { get; }

    /// <summary>
    /// Buffers for batches of up to <paramref name="capacity"/> tiles of <paramref name="shape"/>, bound
    /// to this session; the caller disposes them before the session.
    /// </summary>
    IDeviceBatch CreateBatch(TileShape shape, int capacity);
}
