using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Hosting;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// A real device worker against the coordinator silo, its last write of each run held at will. A shard whose
/// lease ran out while its run was still going may come back to the same worker under a new lease;
/// the old run ending must not make the worker forget the new one, which it still has to renew.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class LeasedAgainTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly CoordinatorFixture _cluster;
    private readonly ServiceProvider _services;
    private readonly HeldManifestWrites _writes;

    public LeasedAgainTests(CoordinatorFixture cluster)
    {
        _cluster = cluster;
        _services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().Build()).AddDatasetStorage().BuildServiceProvider();
        _writes = new HeldManifestWrites(_services.GetRequiredService<IDatasetStorage>());
    }

    [Fact]
    public async Task AShardLeasedAgainToItsWorkerStaysHeldWhenItsOldRunEnds()
    {
        var id = Work.NewJobId();
        var input = _cluster.Temp.File(id);
        EndToEndFixture.WriteImage(Path.Combine(input, "img-0.png"), 40, 36, seed: 40);
        var output = _cluster.Temp.File(id + "-out");
        var job = _cluster.Job(id);
        var spec = Work.Spec(input, output, shardSize: 1, maxAttempts: 6, leaseSeconds: (int)Lease.TotalSeconds) with { Model = EndToEndFixture.WriteSmallModel(_cluster.Temp.File(id + ".onnx")) };
        Assert.Equal(JobState.Running, (await job.SubmitAsync(spec)).State);

        using var stopping = new CancellationTokenSource();
        // Its own device name, so the held-leases gauge read here is this worker's alone.
        var device = "cpu-" + id;
        using var worker = NewWorker("silo-a/cpu", device);
        var running = Task.Run(() => worker.RunAsync(stopping.Token));
        try
        {
            // The first run's last write hangs; its lease runs out (the worker's renewal lost the race to
            // the clock) and the worker, asking for more, gets the same shard back under a new lease.
            await _writes.StartedAsync(1, Patience);
            while (!_writes.HasStarted(2))
            {
                _cluster.Clock.Advance(Lease + TimeSpan.FromSeconds(1));
                await Task.WhenAny(_writes.StartedAsync(2, Patience), Task.Delay(TimeSpan.FromSeconds(2)));
            }

            // Both runs hang in their last write: the worker holds both, the old one until it ends.
            Assert.Equal(2, HeldLeases(device));
            _writes.Release(1);
            await WaitAsync(() => HeldLeases(device) < 2, "the first run to end");
            Assert.Equal(1, HeldLeases(device));

            // The new lease is renewed while its run goes on: no other worker gets the shard.
            await Task.Delay(Lease * 1.5);
            Assert.Empty(await job.LeaseAsync("silo-b/cpu", 1));

            _writes.Release(2);
            var status = await Work.WaitUntilFinishedAsync(job, Patience);
            Assert.Equal((JobState.Completed, 1, 0), (status.State, status.Done, status.Failed));
            Assert.True(File.Exists(Path.Combine(output, "masks", "img-0.png")));
        }
        finally
        {
            _writes.ReleaseAll();
            await stopping.CancelAsync();
            await running;
        }
    }

    public void Dispose()
    {
        _writes.ReleaseAll();
        _services.Dispose();
    }

    private DeviceWorker NewWorker(string workerId, string device)
    {
        var options = new WorkerOptions { Threads = 1, BatchSize = 1, PollInterval = TimeSpan.FromMilliseconds(100), ShutdownGrace = TimeSpan.FromSeconds(1), ModelCache = _cluster.Temp.File("model-cache") };
        var metrics = _services.GetRequiredService<ClusterMetrics>();
        var engines = new EngineCache(InferenceDevice.Cpu, options, OnnxInferenceRuntime.Instance, _writes, NullLogger.Instance);
        var runner = new ShardRunner(engines, _writes, metrics, "silo-a", options.StorageOutageTolerance, NullLogger.Instance);
        return new DeviceWorker(workerId, device, _cluster.Client, runner, metrics, new DeviceReadiness(), options, TimeProvider.System, NullLogger.Instance);
    }

    /// <summary>The worker's <c>unetpp.leases.held</c> as a scrape would read it now.</summary>
    private static int HeldLeases(string device) => Gauge.Read("unetpp.leases.held", "device", device);

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!condition())
        {
            Assert.False(patience.IsCancellationRequested, $"waited {Patience.TotalSeconds:F0} s for {what}");
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>
    /// The dataset storage, except that the writes of image manifests, each a run's last step before it
    /// reports, counted from 1, each wait until the test releases them, as writes to a slow store do.
    /// </summary>
    private sealed class HeldManifestWrites(IDatasetStorage inner) : IDatasetStorage
    {
        private readonly Dictionary<int, (TaskCompletionSource Started, TaskCompletionSource Released)> _writes = [];
        private int _count;
        private bool _open;

        public bool HasStarted(int write) => Write(write).Started.Task.IsCompleted;

        public Task StartedAsync(int write, TimeSpan patience) => Write(write).Started.Task.WaitAsync(patience);

        public void Release(int write) => Write(write).Released.TrySetResult();

        /// <summary>Lets every write go, those to come included, so the worker can stop.</summary>
        public void ReleaseAll()
        {
            lock (_writes)
            {
                _open = true;
                foreach (var write in _writes.Values)
                {
                    write.Released.TrySetResult();
                }
            }
        }

        public async Task WriteAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken)
        {
            if (name.StartsWith(ImageManifests.Folder + "/", StringComparison.Ordinal))
            {
                var (started, released) = Write(Interlocked.Increment(ref _count));
                started.TrySetResult();

                // A slow store does not look at the worker's cancellation while the write hangs.
                await released.Task;
            }

            await inner.WriteAsync(location, name, bytes, cancellationToken);
        }

        public Task<IReadOnlyList<string>> ListImagesAsync(string input, CancellationToken cancellationToken) => inner.ListImagesAsync(input, cancellationToken);

        public Task<byte[]> ReadAsync(string location, string name, CancellationToken cancellationToken) => inner.ReadAsync(location, name, cancellationToken);

        public Task<Stream> OpenReadAsync(string location, string name, CancellationToken cancellationToken) => inner.OpenReadAsync(location, name, cancellationToken);

        public Task<(string Name, byte[] Bytes)?> FindLabelAsync(string labels, string imageName, CancellationToken cancellationToken) =>
            inner.FindLabelAsync(labels, imageName, cancellationToken);

        public Task WriteAsync(string location, string name, Stream content, CancellationToken cancellationToken) => inner.WriteAsync(location, name, content, cancellationToken);

        public Task<bool> CreateAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken) => inner.CreateAsync(location, name, bytes, cancellationToken);

        public Task DeleteAsync(string location, string name, CancellationToken cancellationToken) => inner.DeleteAsync(location, name, cancellationToken);

        public Task<byte[]> ReadObjectAsync(string location, CancellationToken cancellationToken) => inner.ReadObjectAsync(location, cancellationToken);

        public Task<byte[]?> TryReadObjectAsync(string location, CancellationToken cancellationToken) => inner.TryReadObjectAsync(location, cancellationToken);

        public Task WriteReportAsync(string output, JobReport report, CancellationToken cancellationToken) => inner.WriteReportAsync(output, report, cancellationToken);

        private (TaskCompletionSource Started, TaskCompletionSource Released) Write(int write)
        {
            lock (_writes)
            {
                if (!_writes.TryGetValue(write, out var held))
                {
                    _writes[write] = held = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    if (_open)
                    {
                        held.Released.TrySetResult();
                    }
                }

                return held;
            }
        }
    }
}
