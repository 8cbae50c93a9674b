using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.FaultySilo;

/// <summary>
/// A real session whose every model run, counted from 1 over all its batches, first passes
/// <paramref name="gate"/>: a gate that does not return is a hung device, as a call into a stuck
/// driver is. The run then goes to the session underneath, so results stay real. Shared with the
/// engine's tests, which hold and release runs.
/// </summary>
internal sealed class GatedSession(IDeviceSession inner, Action<int> gate) : IDeviceSession
{
    private int _runs;

    public InferenceDevice Device => inner.Device;

    /// <summary>Model runs started on this session's batches.</summary>
    public int Runs => Volatile.Read(ref _runs);

    public IDeviceBatch CreateBatch(TileShape shape, int capacity) => new Batch(inner.CreateBatch(shape, capacity), this);

    public void Dispose() => inner.Dispose();

    private void Enter() => gate(Interlocked.Increment(ref _runs));

    private sealed class Batch(IDeviceBatch inner, GatedSession session) : IDeviceBatch
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
