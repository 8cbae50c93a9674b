using System.Collections.Concurrent;
using System.Diagnostics;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// Feeds one device from dedicated threads: tiles from many images queue up, are grouped into
/// batches of up to <see cref="BatcherOptions.MaxBatchSize"/>, run, and handed back. Grouping across
/// images is what keeps a GPU full; running on our own threads keeps long model runs off the thread
/// pool and the Orleans scheduler. Up to <see cref="BatcherOptions.InFlightBatches"/> batches run at
/// once, each from its own pinned buffers, so one batch's copies and hand-back overlap another's compute.
/// A batch holds tiles of one shape: the grid's full tile, for which every loop keeps its buffers, or
/// the smaller one of an image shorter than a tile, whose buffers a loop keeps while that shape keeps coming.
/// </summary>
public sealed class DeviceBatcher : IDisposable
{
    private readonly IDeviceSession _session;
    private readonly TileShape _shape;
    private readonly BatcherOptions _options;
    private readonly List<TileRequest> _queue = new();
    private readonly IDeviceBatch[] _batches;
    private readonly Thread[] _loops;
    private readonly object _gate = new();

    /// <summary>
    /// Held by the one loop assembling a batch: loops taking turns at the queue would split its tiles
    /// between them and run small batches. Taken before <see cref="_gate"/>, never after.
    /// </summary>
    private readonly object _assembling = new();
    private readonly BusyClock _busy = new();
    private readonly ConcurrentDictionary<IDeviceBatch, long> _runningSince = new();
    private readonly string _device;
    private readonly IDisposable _queueTracking;
    private bool _stopping;

    /// <summary>Images being decoded whose tiles are not queued yet; guarded by <see cref="_gate"/>.</summary>
    private int _preparing;

    /// <summary>How long the last full batch took to run, in stopwatch ticks; guarded by <see cref="_gate"/>.</summary>
    private long _lastFullRun;
    private long _runs;
    private long _tiles;

    public DeviceBatcher(IDeviceSession session, TileShape shape, BatcherOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1, nameof(options.MaxBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InFlightBatches, 1, nameof(options.InFlightBatches));
        _session = session;
        _shape = shape;
        _options = options;
        _batches = new IDeviceBatch[options.InFlightBatches];
        try
        {
            for (var i = 0; i < _batches.Length; i++)
            {
                _batches[i] = session.CreateBatch(shape, options.MaxBatchSize);
            }
        }
        catch
        {
            foreach (var batch in _batches.Where(b => b is not null))
            {
                batch.Dispose();
            }

            throw;
        }

        _device = session.Device.ToString();
        _queueTracking = DeviceMetrics.Track(_device, () => QueuedTiles);
        _loops = [.. _batches.Select((batch, i) => new Thread(() => RunLoop(batch)) { IsBackground = true, Name = $"unetpp-infer-{session.Device}-{i}" })];
        foreach (var loop in _loops)
        {
            loop.Start();
        }
    }

    /// <summary>The full tile's shape, whose buffers are made up front.</summary>
    public TileShape Shape => _shape;

    public InferenceDevice Device => _session.Device;

    public BatcherStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new(_runs, _tiles, _busy.Total, _options.MaxBatchSize, _options.InFlightBatches);
            }
        }
    }

    /// <summary>
    /// How long the oldest model run now going has been running (zero when none is): a run that
    /// never ends is how a hung device shows itself.
    /// </summary>
    public TimeSpan LongestRun
    {
        get
        {
            var now = Stopwatch.GetTimestamp();
            return _runningSince.Values.Select(since => Stopwatch.GetElapsedTime(since, now)).DefaultIfEmpty(TimeSpan.Zero).Max();
        }
    }

    /// <summary>Tiles waiting for the device.</summary>
    public int QueuedTiles
    {
        get
        {
            lock (_gate)
            {
                return _queue.Sum(r => r.Count - r.Taken);
            }
        }
    }

    /// <summary>
    /// Infers <paramref name="count"/> tiles of <paramref name="shape"/> laid out one after another in
    /// <paramref name="inputs"/> ([count, C, H, W]) and writes their results into <paramref name="outputs"/>
    /// ([count, K, H, W]). The buffers must stay untouched until the returned task ends.
    /// </summary>
    public Task InferAsync(TileShape shape, Memory<float> inputs, Memory<float> outputs, int count, CancellationToken cancellationToken = default)
    {
        if (count == 0)
        {
            return Task.CompletedTask;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(inputs.Length, count * shape.InputLength, nameof(inputs));
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs.Length, count * shape.OutputLength, nameof(outputs));
        var request = new TileRequest(shape, inputs, outputs, count, cancellationToken);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _queue.Add(request);
            Monitor.Pulse(_gate);
        }

        return request.Completion.Task;
    }

    /// <summary>
    /// Says that an image is being decoded and will queue tiles soon: a part-filled batch then waits for
    /// them (up to <see cref="BatcherOptions.MaxWait"/>) rather than running short. Dispose the result
    /// once the image's first tiles are queued, or once it fails; disposing twice counts once.
    /// </summary>
    public IDisposable Preparing()
    {
        lock (_gate)
        {
            _preparing++;
        }

        return new PreparingImage(this);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        // A run in flight is waited for, not abandoned: its batch's buffers are the device's until it returns.
        foreach (var loop in _loops)
        {
            loop.Join();
        }

        foreach (var batch in _batches)
        {
            batch.Dispose();
        }

        _queueTracking.Dispose();
    }

    private void RunLoop(IDeviceBatch tileBatch)
    {
        var segments = new List<Segment>();
        IDeviceBatch? other = null;
        var otherShape = default(TileShape);
        try
        {
            while (TakeBatch(segments, out var shape))
            {
                if (segments.Count == 0)
                {
                    continue;
                }

                if (shape == _shape)
                {
                    RunBatch(tileBatch, shape, segments);
                    continue;
                }

                try
                {
                    if (other is null || otherShape != shape)
                    {
                        // Cleared first so that a failed CreateBatch leaves nothing disposed to dispose again.
                        other?.Dispose();
                        other = null;
                        other = _session.CreateBatch(shape, _options.MaxBatchSize);
                        otherShape = shape;
                    }
                }
                catch (Exception ex)
                {
                    FailAll(segments, ex);
                    continue;
                }

                RunBatch(other, shape, segments);
            }
        }
        finally
        {
            other?.Dispose();
        }
    }

    /// <summary>
    /// Fills <paramref name="segments"/> with up to one batch of tiles of one <paramref name="shape"/>, the
    /// shape of the oldest request; false once stopping with nothing left.
    /// </summary>
    private bool TakeBatch(List<Segment> segments, out TileShape shape)
    {
        segments.Clear();
        shape = default;
        var chosen = false;
        var filled = 0;
        lock (_assembling)
        lock (_gate)
        {
            while (_queue.Count == 0)
            {
                if (_stopping)
                {
                    return false;
                }

                Monitor.Wait(_gate);
            }

            // Waiting for decoding images costs the device at most one batch's time, however slow the model:
            // on a CPU the decoding uses the cores the batch would have, on a GPU a fuller batch pays it back.
            var deadline = Stopwatch.GetTimestamp() + Math.Max((long)(_options.MaxWait.TotalSeconds * Stopwatch.Frequency), _lastFullRun);
            while (filled < _options.MaxBatchSize)
            {
                var wanted = shape;
                var index = chosen ? _queue.FindIndex(r => r.Shape == wanted) : _queue.Count > 0 ? 0 : -1;
                if (index >= 0)
                {
                    var head = _queue[index];
                    if (head.CancellationToken.IsCancellationRequested)
                    {
                        _queue.RemoveAt(index);
                        head.Completion.TrySetCanceled(head.CancellationToken);
                        continue;
                    }

                    (shape, chosen) = (head.Shape, true);

                    if (head.Taken == 0)
                    {
                        DeviceMetrics.RecordQueueWait(_device, Stopwatch.GetElapsedTime(head.Queued));
                    }

                    var take = Math.Min(head.Count - head.Taken, _options.MaxBatchSize - filled);
                    segments.Add(new Segment(head, head.Taken, take));
                    head.Taken += take;
                    filled += take;
                    if (head.Taken == head.Count)
                    {
                        _queue.RemoveAt(index);
                    }

                    continue;
                }

                var left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0 || _stopping || _preparing == 0)
                {
                    break;
                }

                Monitor.Wait(_gate, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
            }
        }

        return true;
    }

    private void RunBatch(IDeviceBatch batch, TileShape shape, List<Segment> segments)
    {
        var tiles = segments.Sum(s => s.Count);
        var inLength = shape.InputLength;
        var outLength = shape.OutputLength;
        _busy.Start();
        DeviceMetrics.BatchStarted(_device);
        var started = Stopwatch.GetTimestamp();
        _runningSince[batch] = started;
        Exception? failure = null;
        try
        {
            // Every batch goes through the pinned buffers, even one request's: they are what the device
            // copies from and to in one piece, and what the session has bound.
            var offset = 0;
            foreach (var s in segments)
            {
                s.Request.Inputs.Span.Slice(s.First * inLength, s.Count * inLength).CopyTo(batch.Input[(offset * inLength)..]);
                offset += s.Count;
            }

            batch.Run(tiles);
            offset = 0;
            foreach (var s in segments)
            {
                batch.Output.Slice(offset * outLength, s.Count * outLength).CopyTo(s.Request.Outputs.Span[(s.First * outLength)..]);
                offset += s.Count;
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        _runningSince.TryRemove(batch, out _);
        _busy.Stop();
        DeviceMetrics.BatchEnded(_device);
        if (failure is not null)
        {
            FailAll(segments, failure);
            return;
        }

        DeviceMetrics.RecordBatch(_device, tiles, elapsed);
        lock (_gate)
        {
            _runs++;
            _tiles += tiles;
            if (tiles == _options.MaxBatchSize)
            {
                _lastFullRun = (long)(elapsed.TotalSeconds * Stopwatch.Frequency);
            }
        }

        foreach (var s in segments)
        {
            if (Interlocked.Add(ref s.Request.Done, s.Count) == s.Request.Count)
            {
                s.Request.Completion.TrySetResult();
            }
        }
    }

    private void FailAll(List<Segment> segments, Exception ex)
    {
        lock (_gate)
        {
            foreach (var s in segments)
            {
                s.Request.Completion.TrySetException(ex);
                if (s.Request.Taken < s.Request.Count)
                {
                    // The rest of a failed request would fail the same way: drop it from the queue.
                    _queue.Remove(s.Request);
                }
            }
        }
    }

    private void Prepared()
    {
        lock (_gate)
        {
            _preparing--;
            Monitor.PulseAll(_gate);
        }
    }

    private readonly record struct Segment(TileRequest Request, int First, int Count);

    private sealed class PreparingImage(DeviceBatcher batcher) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                batcher.Prepared();
            }
        }
    }

    private sealed class TileRequest(TileShape shape, Memory<float> inputs, Memory<float> outputs, int count, CancellationToken cancellationToken)
    {
        public TileShape Shape { get; } = shape;

        public Memory<float> Inputs { get; } = inputs;

        public Memory<float> Outputs { get; } = outputs;

        public int Count { get; } = count;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        /// <summary>When the request joined the queue, for the time its tiles waited for the device.</summary>
        public long Queued { get; } = Stopwatch.GetTimestamp();

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Tiles handed to a batch so far; touched under the batcher's lock.</summary>
        public int Taken { get; set; }

        /// <summary>Tiles finished; the field is public so it can be incremented atomically.</summary>
        public int Done;
    }
}
