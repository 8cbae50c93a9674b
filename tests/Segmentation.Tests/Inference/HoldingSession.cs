using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

/// <summary>
/// A real session whose run numbered <paramref name="heldRun"/> (counting from 1 over all its batches) does
/// not return until <see cref="Release"/>, as a call into a hung driver does not; every run, the held one
/// included, then goes to the session underneath, so results stay real.
/// </summary>
internal sealed class HoldingSession(IDeviceSession inner, int? heldRun = null) : IDeviceSession
{
    private readonly ManualResetEventSlim _released = new();
    private int _runs;

    public InferenceDevice Device => inner.Device;

    /// <summary>Model runs started on this session's batches.</summary>
    public int Runs => Volatile.Read(ref _runs);

    public IDeviceBatch CreateBatch(TileShape shape, int capacity) => new Batch(inner.CreateBatch(shape, capacity), this);

    /// <summary>Lets the held run go on.</summary>
    public void Release() => _released.Set();

    public void Dispose()
    {
        inner.Dispose();
        _released.Dispose();
    }

    private void Enter()
    {
        if (Interlocked.Increment(ref _runs) == heldRun)
        {
            _released.Wait();
        }
    }

    private sealed class Batch(IDeviceBatch inner, HoldingSession session) : IDeviceBatch
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
