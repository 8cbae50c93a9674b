namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// The system clock plus an offset the test moves forward: lease expiry is tested by jumping
/// time instead of sleeping. Timers and timestamps stay real, so the Orleans runtime, which
/// takes the same <see cref="TimeProvider"/> from the container, keeps working.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
