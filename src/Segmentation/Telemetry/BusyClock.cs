using System.Diagnostics;

namespace UNetPP.Cluster.Segmentation.Telemetry;

/// <summary>
/// Wall time during which at least one of several runs that may overlap was going: two batches in
/// flight at once count their shared time once, so the figure never passes the wall clock.
/// </summary>
internal sealed class BusyClock
{
    private readonly object _gate = new();
    private int _running;

    /// <summary>Since when busy time has not been credited yet (valid while something runs).</summary>
    private long _mark;
    private long _credited;

    /// <summary>Busy time so far, including the part of the runs going now.</summary>
    public TimeSpan Total
    {
        get
        {
            lock (_gate)
            {
                var open = _running > 0 ? Stopwatch.GetTimestamp() - _mark : 0;
                return Stopwatch.GetElapsedTime(0, _credited + open);
            }
        }
    }

    public void Start()
    {
        lock (_gate)
        {
            if (_running++ == 0)
            {
                _mark = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>Ends one run; returns the busy time credited since the last run ended.</summary>
    public TimeSpan Stop()
    {
        lock (_gate)
        {
            if (_running == 0)
            {
                throw new InvalidOperationException("A run was stopped that had not started.");
            }

            var now = Stopwatch.GetTimestamp();
            var credit = now - _mark;
            _mark = now;
            _running--;
            _credited += credit;
            return Stopwatch.GetElapsedTime(0, credit);
        }
    }
}
