using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.FaultySilo;

/// <summary>
/// A real session (one per engine) whose model runs, counted over all its batches, go through until
/// <paramref name="healthyRuns"/> have started; every run after that never returns, as a call into a
/// stuck driver does not.
/// </summary>
internal sealed class HangingSession(IDeviceSession inner, int healthyRuns) : IDeviceSession
{
    private int _runs;

    public InferenceDevice Device => inner.Device;

    public IDeviceBatch CreateBatch(TileShape shape, int capacity) => new Batch(inner.CreateBatch(shape, capacity), this);

    public void Dispose() => inner.Dispose();

    private void Enter()
    {
        if (Interlocked.Increment(ref _runs) > healthyRuns)
        {
            // Not released on stop or dispose either: a hung driver is not, and the batch loops are
            // background threads, so the process still ends.
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private sealed class Batch(IDeviceBatch inner, HangingSession session) : IDeviceBatch
    {
        public Span<float> Input => inner.Input;

        public Span<float> Output => inner.Output;

        public void Run(int count)
        {
            session.Enter();
            inner.Run(count);
        }

        public void Dispose() => inner.Dispose();
    }
}
