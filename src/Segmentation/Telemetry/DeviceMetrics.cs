using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace UNetPP.Cluster.Segmentation.Telemetry;

/// <summary>
/// What a device's batching loops report: batches and their sizes, how long tiles wait for the device
/// and how long it computes, its queue and how busy it is. Several engines may share a device (one per
/// model and mode), each with batches in flight; their counts add up under the device's name, and the
/// device is busy while any of their batches runs.
/// </summary>
internal static class DeviceMetrics
{
    /// <summary>How long a utilisation figure is averaged over before a new one starts.</summary>
    private static readonly TimeSpan UtilisationWindow = TimeSpan.FromSeconds(10);

    private static readonly ConcurrentDictionary<string, DeviceLoad> Devices = new(StringComparer.Ordinal);

    private static readonly Counter<long> Batches = EngineTelemetry.Meter.CreateCounter<long>(
        "unetpp.inference.batches", unit: "{batch}", description: "Model runs on the device.");

    private static readonly Histogram<int> BatchSize = EngineTelemetry.Meter.CreateHistogram<int>(
        "unetpp.inference.batch_size", unit: "{tile}", description: "Tiles in one model run.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256] });

    private static readonly Counter<double> Busy = EngineTelemetry.Meter.CreateCounter<double>(
        "unetpp.device.busy", unit: "s", description: "Wall time during which the device ran at least one batch; its rate is the device's utilisation.");

    static DeviceMetrics()
    {
        EngineTelemetry.Meter.CreateObservableGauge(
            "unetpp.device.queue_tiles", () => Devices.Select(d => new Measurement<long>(d.Value.QueuedTiles, EngineTelemetry.Tag("device", d.Key))),
            unit: "{tile}", description: "Tiles waiting for the device.");
        EngineTelemetry.Meter.CreateObservableGauge(
            "unetpp.device.utilization_ratio", () => Devices.Select(d => new Measurement<double>(d.Value.Utilisation(), EngineTelemetry.Tag("device", d.Key))),
            unit: "1", description: "Fraction of wall time the device spent running the model, over the last ten seconds.");
    }

    /// <summary>Counts a batcher's queue in its device's depth until the returned handle is disposed.</summary>
    public static IDisposable Track(string device, Func<int> queuedTiles) => Devices.GetOrAdd(device, _ => new DeviceLoad()).Add(queuedTiles);

    public static void RecordQueueWait(string device, TimeSpan waited) =>
        StageMetrics.RecordDuration(PipelineStage.QueueWait, device, waited);

    /// <summary>A batch starts on the device: from now until the last one running ends, the device is busy.</summary>
    public static void BatchStarted(string device) => Devices.GetOrAdd(device, _ => new DeviceLoad()).Busy.Start();

    /// <summary>A batch has ended, run or failed.</summary>
    public static void BatchEnded(string device) =>
        Busy.Add(Devices.GetOrAdd(device, _ => new DeviceLoad()).Busy.Stop().TotalSeconds, EngineTelemetry.Tag("device", device));

    /// <summary>A batch that ran, with the time it took on its own (overlapping batches each count theirs here).</summary>
    public static void RecordBatch(string device, int tiles, TimeSpan elapsed)
    {
        var tag = EngineTelemetry.Tag("device", device);
        Batches.Add(1, tag);
        BatchSize.Record(tiles, tag);
        StageMetrics.RecordDuration(PipelineStage.Inference, device, elapsed);
    }

    /// <summary>One device's live queues and its busy time, sampled into a utilisation figure per window.</summary>
    private sealed class DeviceLoad
    {
        private readonly object _gate = new();
        private readonly List<Func<int>> _queues = [];
        private long _windowStart = Stopwatch.GetTimestamp();
        private TimeSpan _windowBusy;
        private double _last;

        public BusyClock Busy { get; } = new();

        public int QueuedTiles
        {
            get
            {
                lock (_gate)
                {
                    return _queues.Sum(q => q());
                }
            }
        }

        public IDisposable Add(Func<int> queuedTiles)
        {
            lock (_gate)
            {
                _queues.Add(queuedTiles);
            }

            return new Registration(this, queuedTiles);
        }

        /// <summary>The figure of the last full window; a new window starts once the current one is old enough.</summary>
        public double Utilisation()
        {
            lock (_gate)
            {
                var now = Stopwatch.GetTimestamp();
                var wall = Stopwatch.GetElapsedTime(_windowStart, now);
                if (wall >= UtilisationWindow)
                {
                    var busy = Busy.Total;
                    _last = Math.Clamp((busy - _windowBusy) / wall, 0, 1);
                    (_windowStart, _windowBusy) = (now, busy);
                }

                return _last;
            }
        }

        private void Remove(Func<int> queuedTiles)
        {
            lock (_gate)
            {
                _queues.Remove(queuedTiles);
            }
        }

        private sealed class Registration(DeviceLoad load, Func<int> queuedTiles) : IDisposable
        {
            public void Dispose() => load.Remove(queuedTiles);
        }
    }
}
