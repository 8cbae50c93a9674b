using UNetPP.Cluster.FaultySilo;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

/// <summary>
/// A real session whose run numbered heldRun (counting from 1 over all its batches) does not return
/// until <see cref="Release"/>, as a call into a hung driver does not; every run, the held one
/// included, then goes to the session underneath, so results stay real.
/// </summary>
internal sealed class HoldingSession : IDeviceSession
{
    private readonly ManualResetEventSlim _released = new();
    private readonly GatedSession _gated;

    public HoldingSession(IDeviceSession inner, int? heldRun = null) =>
        _gated = new GatedSession(inner, run =>
        {
            if (run == heldRun)
            {
                _released.Wait();
            }
        });

    public InferenceDevice Device => _gated.Device;

    /// <summary>Model runs started on this session's batches.</summary>
    public int Runs => _gated.Runs;

    public IDeviceBatch CreateBatch(TileShape shape, int capacity) => _gated.CreateBatch(shape, capacity);

    /// <summary>Lets the held run go on.</summary>
    public void Release() => _released.Set();

    public void Dispose()
    {
        _gated.Dispose();
        _released.Dispose();
    }
}
