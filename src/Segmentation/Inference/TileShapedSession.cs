namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// Runs the grid's full tiles on a graph made for their size (<see cref="Model.WholeTileGraph"/>) and any
/// other shape (an image smaller than a tile, run at its own size) on the general graph, opened the first
/// time such a shape comes: most datasets never need it.
/// </summary>
public sealed class TileShapedSession(IDeviceSession wholeTiles, TileShape tile, Func<IDeviceSession> openGeneral) : IDeviceSession
{
    private readonly Lock _opening = new();
    private IDeviceSession? _general;

    public InferenceDevice Device => wholeTiles.Device;

    public IDeviceBatch CreateBatch(TileShape shape, int capacity) =>
        (shape == tile ? wholeTiles : General()).CreateBatch(shape, capacity);

    public void Dispose()
    {
        wholeTiles.Dispose();
        _general?.Dispose();
    }

    private IDeviceSession General()
    {
        lock (_opening)
        {
            return _general ??= openGeneral();
        }
    }
}
