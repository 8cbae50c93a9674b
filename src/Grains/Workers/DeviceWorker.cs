using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Pulls shards for one device: leases as many as it can hold, renews them while it works, reports
/// the results, and stops leasing when its silo stops. Pulling balances fast and slow devices by
/// itself and gives backpressure for free: a busy worker simply does not ask.
/// </summary>
public sealed partial class DeviceWorker(
    string workerId,
    string device,
    IGrainFactory grains,
    ShardRunner runner,
    ClusterMetrics metrics,
    DeviceReadiness readiness,
    WorkerOptions options,
    TimeProvider clock,
    ILogger logger) : IDisposable
{
    /// <summary>How often the worker tells the cluster view what it holds and how fast it goes.</summary>
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Held shards by their lease, not by shard alone: a shard whose lease expired while its result was on
    /// its way may be leased to this worker again, and the old run ending must not drop the new holding.
    /// </summary>
    private readonly ConcurrentDictionary<(string JobId, ShardLeaseRef Lease), HeldShard> _held = new();
    private readonly CancellationTokenSource _abandon = new();
    private long _images;
    private long _tiles;
    private volatile bool _hung;

    public string WorkerId => workerId;

    /// <summary>Runs until <paramref name="stopping"/>; then lets held shards finish within the grace period and hands the rest back.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var leases = metrics.TrackLeases(device, () => _held.Count);
        using var background = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token);
        var renewing = RenewLoopAsync(background.Token);
        var reporting = ReportLoopAsync(background.Token);
        try
        {
            await LeaseLoopAsync(stopping);
            await DrainAsync();
        }
        finally
        {
            await background.CancelAsync();
            await Task.WhenAll(renewing, reporting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _abandon.Dispose();

    /// <remarks>
    /// Every loop here catches what a call to the cluster throws, Orleans' own cancellations included
    /// (a message that expired while its grain could not be placed, storage being down): only the
    /// silo stopping ends a loop. One escaping would stop the whole silo.
    /// </remarks>
    private async Task LeaseLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await LeaseMoreAsync(stopping);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                // The cluster may be between silos (a gateway or the job's silo just died): try again next round.
                LogLeaseFailed(logger, workerId, ex.Message);
            }

            var wake = Task.Delay(options.PollInterval, clock, stopping);
            Task woken = await Task.WhenAny([wake, .. _held.Values.Select(h => h.Running)]);
            await woken.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task LeaseMoreAsync(CancellationToken stopping)
    {
        var free = options.ShardsPerWorker - _held.Count;
        if ((free <= 0 || _hung) && _held.IsEmpty)
        {
            return;
        }

        var queue = grains.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key);
        var jobs = await queue.GetActiveAsync();
        StopShardsOfEndedJobs(jobs);
        if (free <= 0 || _hung || jobs.Count == 0)
        {
            return;
        }

        // The queue's order is the priorities', aged by waiting: the first job gives all the shards it
        // can, and one with none to give now (all out, or planning its bands) passes on to the next.
        var leased = new List<string>();
        foreach (var jobId in jobs)
        {
            if (free == 0 || stopping.IsCancellationRequested)
            {
                break;
            }

            var leases = await grains.GetGrain<IJobGrain>(jobId).LeaseAsync(workerId, free);
            foreach (var lease in leases)
            {
                Start(lease);
                free--;
            }

            if (leases.Count > 0)
            {
                leased.Add(jobId);
            }
        }

        if (leased.Count > 0)
        {
            await queue.LeasedAsync(leased);
        }
    }

    /// <summary>
    /// A job taken off the queue while this worker holds its shards has been cancelled: its shards
    /// finish the images they have started, start no more, and report what they did, so the job's
    /// report counts every image whose outputs were written.
    /// </summary>
    private void StopShardsOfEndedJobs(IReadOnlyCollection<string> active)
    {
        foreach (var held in _held.Values.Where(h => !active.Contains(h.Lease.JobId) && !h.Reporting && !h.Stopping.IsCancellationRequested))
        {
            LogJobEnded(logger, workerId, held.Lease.JobId, held.Lease.Ref.Shard);
            held.Stopping.Cancel();
        }
    }

    private void Start(ShardLease lease)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token);
        var held = new HeldShard(lease, cancel);
        _held[(lease.JobId, lease.Ref)] = held;
        held.Running = Task.Run(() => RunShardAsync(held));
    }

    private async Task RunShardAsync(HeldShard held)
    {
        var lease = held.Lease;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = lease.JobId, ["ShardId"] = lease.Ref.Shard });
        using var span = ClusterTelemetry.Traces.StartActivity("shard", ActivityKind.Consumer, ParentOf(lease));
        span?.SetTag("unetpp.job", lease.JobId);
        span?.SetTag("unetpp.shard", lease.Ref.Shard);
        span?.SetTag("unetpp.worker", workerId);
        span?.SetTag("unetpp.images", lease.Images.Count);
        try
        {
            var result = await runner.RunAsync(lease, workerId, held.Stopping.Token, held.Cancel.Token);
            held.Reporting = true;
            await ReportAsync(result, held.Cancel.Token);
            Interlocked.Add(ref _images, result.Images.OfType<ImageSegmented>().Count());
            Interlocked.Add(ref _tiles, result.Tiles);
        }
        catch (OperationCanceledException) when (held.Cancel.IsCancellationRequested)
        {
            LogShardStopped(logger, workerId, lease.JobId, lease.Ref.Shard);
        }
        catch (Exception ex)
        {
            // The lease will expire and the shard go to another worker; nothing is lost.
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogShardFailed(logger, workerId, lease.JobId, lease.Ref.Shard, ex.Message);
        }
        finally
        {
            _held.TryRemove((lease.JobId, lease.Ref), out _);
            held.Cancel.Dispose();
        }
    }

    /// <summary>The job's span, which every shard of the job hangs under; none when the job was not traced.</summary>
    private static ActivityContext ParentOf(ShardLease lease) =>
        lease.TraceParent is { } parent && ActivityContext.TryParse(parent, null, out var context) ? context : default;

    /// <summary>
    /// Hands a finished shard's results to its job, trying again while the job's silo has just died
    /// (the coordinator comes back on another silo) or its state store does not answer: the shard
    /// need not be done again. Gives up after the storage outage tolerance; the lease then expires.
    /// </summary>
    private async Task ReportAsync(ShardResult result, CancellationToken cancellationToken)
    {
        var backoff = new OutageBackoff(options.StorageOutageTolerance, clock);
        while (true)
        {
            try
            {
                await grains.GetGrain<IJobGrain>(result.JobId).CompleteAsync(result);
                return;
            }
            catch (Exception ex) when (backoff.CanWait && !cancellationToken.IsCancellationRequested)
            {
                LogLeaseFailed(logger, workerId, ex.Message);
                await backoff.WaitAsync(cancellationToken);
            }
        }
    }

    /// <summary>Renews every held lease at a third of the shortest lease, and stops shards the job says are no longer ours.</summary>
    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var shortest = _held.Values.Select(h => h.Lease.Spec.LeaseDuration).DefaultIfEmpty(TimeSpan.FromSeconds(3)).Min();
            await Task.Delay(shortest / 3, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_hung || runner.LongestRun > options.StallTimeout)
            {
                // A run that never ends will not end for the next shard either: give everything back.
                await GiveUpAsync();
                continue;
            }

            foreach (var job in _held.Values.GroupBy(h => h.Lease.JobId).ToList())
            {
                try
                {
                    var lost = await grains.GetGrain<IJobGrain>(job.Key).RenewAsync(workerId, [.. job.Select(h => h.Lease.Ref)]);
                    foreach (var gone in lost)
                    {
                        // A shard whose result is on its way was taken off the job's leases by that very result.
                        if (_held.TryGetValue((job.Key, gone), out var held) && !held.Reporting)
                        {
                            LogLeaseLost(logger, workerId, job.Key, gone.Shard);
                            await StopAsync(held);
                        }
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LogLeaseFailed(logger, workerId, ex.Message);
                }
            }
        }
    }

    /// <summary>Stops a shard's run; one that ended meanwhile has nothing left to stop.</summary>
    private static async Task StopAsync(HeldShard held)
    {
        try
        {
            await held.Cancel.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The run's own end disposed it between the lookup and here.
        }
    }

    /// <summary>
    /// The device is hung: renewing would keep its shards from ever finishing. They are stopped and
    /// handed back so other workers take them at once, and this worker leases nothing more.
    /// </summary>
    private async Task GiveUpAsync()
    {
        if (!_hung)
        {
            _hung = true;
            var seconds = runner.LongestRun.TotalSeconds;
            LogHung(logger, workerId, device, seconds, options.StallTimeout.TotalSeconds);
            readiness.Failed(device, FormattableString.Invariant($"hung: a model run has taken {seconds:F0} s, over Inference:StallTimeout"));
        }

        var held = _held.ToList();
        foreach (var (key, shard) in held)
        {
            await StopAsync(shard);

            // Its task may never end (it waits on the hung run); it is no longer this worker's.
            _held.TryRemove(key, out _);
        }

        await ReleaseAsync(held.Select(h => h.Value));
    }

    private async Task ReportLoopAsync(CancellationToken cancellationToken)
    {
        var view = grains.GetGrain<IClusterViewGrain>(IClusterViewGrain.Key);
        long lastTiles = 0;
        var last = clock.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            var tiles = Interlocked.Read(ref _tiles);
            var seconds = (now - last).TotalSeconds;
            try
            {
                await view.ReportAsync(new WorkerReport
                {
                    WorkerId = workerId,
                    Silo = workerId[..workerId.LastIndexOf('/')],
                    Device = device,
                    Shards = [.. _held.Keys.Select(k => $"{k.JobId}/{k.Lease.Shard}").Distinct().Order(StringComparer.Ordinal)],
                    ImagesDone = Interlocked.Read(ref _images),
                    TilesDone = tiles,
                    TilesPerSecond = seconds > 0 ? (tiles - lastTiles) / seconds : 0,
                    At = now,
                    Interval = ReportInterval,
                });
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogLeaseFailed(logger, workerId, ex.Message);
            }

            (lastTiles, last) = (tiles, now);
            await Task.Delay(ReportInterval, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Gives held shards the grace period to finish, then stops them and hands them back so others start at once.</summary>
    private async Task DrainAsync()
    {
        var running = _held.Values.Select(h => h.Running).ToArray();
        Task first = await Task.WhenAny(Task.WhenAll(running), Task.Delay(options.ShutdownGrace, clock));
        await first.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var left = _held.Values.ToList();
        if (left.Count == 0)
        {
            return;
        }

        await _abandon.CancelAsync();
        await Task.WhenAll(left.Select(h => h.Running)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await ReleaseAsync(left);
    }

    /// <summary>Hands shards back to their jobs so other workers start them at once.</summary>
    private async Task ReleaseAsync(IEnumerable<HeldShard> shards)
    {
        foreach (var job in shards.GroupBy(h => h.Lease.JobId))
        {
            try
            {
                await grains.GetGrain<IJobGrain>(job.Key).ReleaseAsync(workerId, [.. job.Select(h => h.Lease.Ref)]);
                LogReleased(logger, workerId, job.Key);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Not handing back only delays the shards until their leases expire.
                LogLeaseFailed(logger, workerId, ex.Message);
            }
        }
    }

    private sealed class HeldShard(ShardLease lease, CancellationTokenSource cancel)
    {
        public ShardLease Lease { get; } = lease;

        public CancellationTokenSource Cancel { get; } = cancel;

        /// <summary>Set when the shard's job was cancelled: the images going are finished, no others started.</summary>
        /// <remarks>Never disposed: it has no timer to free, and the lease loop may set it as the shard ends.</remarks>
        public CancellationTokenSource Stopping { get; } = new();

        public Task Running { get; set; } = Task.CompletedTask;

        /// <summary>
        /// Set once every image is done and the result is on its way to the job: a job that ends with
        /// this very result leaves the queue before the shard leaves this worker, and is no news to it.
        /// </summary>
        public bool Reporting { get; set; }
    }
}
