using System.Diagnostics;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Segmentation.Tests.Telemetry;

public sealed class BusyClockTests
{
    [Fact]
    public void OverlappingRunsCountTheirSharedTimeOnce()
    {
        var clock = new BusyClock();
        var wall = Stopwatch.StartNew();
        clock.Start();
        clock.Start();
        Thread.Sleep(50);
        var first = clock.Stop();
        Thread.Sleep(20);
        var second = clock.Stop();
        wall.Stop();

        // Summed, the two runs would make about 120 ms out of 70 ms of wall time.
        Assert.InRange(clock.Total, TimeSpan.FromMilliseconds(70), wall.Elapsed);
        Assert.InRange(first, TimeSpan.FromMilliseconds(50), wall.Elapsed);
        Assert.InRange((clock.Total - first - second).Duration(), TimeSpan.Zero, TimeSpan.FromTicks(2));
    }

    [Fact]
    public void IdleTimeBetweenRunsIsNotBusy()
    {
        var clock = new BusyClock();
        clock.Start();
        Thread.Sleep(20);
        clock.Stop();
        var afterFirst = clock.Total;
        Thread.Sleep(50);

        Assert.Equal(afterFirst, clock.Total);
        var second = Stopwatch.StartNew();
        clock.Start();
        Thread.Sleep(10);

        // A run still going counts up to now.
        var total = clock.Total;
        Assert.InRange(total - afterFirst, TimeSpan.FromMilliseconds(10), second.Elapsed);
        clock.Stop();
    }

    [Fact]
    public void StoppingARunThatDidNotStartIsRefused() =>
        Assert.Throws<InvalidOperationException>(() => new BusyClock().Stop());
}
