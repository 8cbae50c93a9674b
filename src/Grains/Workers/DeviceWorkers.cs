using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Runs one <see cref="DeviceWorker"/> per configured device on this silo. Registered after the
/// silo, so it starts once the silo has joined and stops (handing its shards back) before the silo leaves.
/// The devices are settled before anything starts (see <see cref="StartingAsync"/>), and drained
/// before anything stops (see <see cref="StoppingAsync"/>). Each device first opens the warm-up
/// model, if one is set, and is ready once it has.
/// </summary>
public sealed partial class DeviceWorkers(
    IOptions<WorkerOptions> options,
    IInferenceRuntime runtime,
    IGrainFactory grains,
    IDatasetStorage storage,
    ILocalSiloDetails silo,
    ClusterMetrics metrics,
    DeviceReadiness readiness,
    TimeProvider clock,
    ILoggerFactory loggers) : BackgroundService, IHostedLifecycleService
{
    /// <summary>The <c>Inference:WarmupModel</c> value that names the built-in model.</summary>
    public const string DefaultModelName = "default";

    /// <summary>The devices this silo's workers run on, <c>auto</c> settled; empty until the host starts.</summary>
    public IReadOnlyList<InferenceDevice> Devices { get; private set; } = [];

    /// <summary>Each device's engines, made once the devices are settled.</summary>
    private IReadOnlyList<EngineCache> _caches = [];

    /// <summary>Set when the host begins to stop: the workers lease no more and drain (see <see cref="StoppingAsync"/>).</summary>
    private readonly CancellationTokenSource _leaving = new();

    /// <summary>
    /// Starts opening, on every device, the engine a job with <paramref name="spec"/> will need, so that its
    /// model is open by the time the job's first shard is leased rather than after: a silo that knows its
    /// next job (the one <c>unetpp segment</c> runs in its own process) opens the model while the job is
    /// planned. A model that fails to open here fails the job's shards as it would have anyway.
    /// </summary>
    public void Prepare(JobSpec spec)
    {
        foreach (var cache in _caches)
        {
            _ = cache.GetAsync(spec, CancellationToken.None).ContinueWith(
                opening => opening.Exception?.Handle(_ => true), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Settles <c>Inference:Devices</c> by opening a session on each CUDA device, before any service
    /// starts: a device named that cannot be used stops the silo with what failed
    /// (<see cref="DeviceUnavailableException"/>) before it joins the cluster, instead of a worker that
    /// quietly runs on the CPU under the GPU's name.
    /// </summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var probe = new DeviceProbe(runtime, settings.SessionOn(InferenceDevice.Cpu), loggers.CreateLogger<DeviceWorker>());

        // auto may settle on a device also named (auto,cpu on a machine without CUDA): one worker each.
        Devices = [.. Parse(settings.Devices).Select(probe.Resolve).Distinct()];
        _caches = [.. Devices.Select(d => new EngineCache(d, settings, runtime, storage, loggers.CreateLogger<DeviceWorker>()))];
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Stops leasing and waits for the workers to finish or hand back their shards, before any service
    /// stops: the web server stays up meanwhile, so <c>/readyz</c> says the silo is stopping and
    /// <c>/metrics</c> still counts the jobs it coordinates, and the silo is still a member that can
    /// take the results in. The host waits for this up to its shutdown timeout (see
    /// <see cref="Hosting.WorkerHostingExtensions.AddDeviceWorkers"/>).
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _leaving.CancelAsync();
        if (ExecuteTask is { } running)
        {
            await running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Dispose()
    {
        _leaving.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _leaving.Token);
        var settings = options.Value;
        var devices = Devices;
        var siloName = silo.SiloAddress.Endpoint.ToString();
        var logger = loggers.CreateLogger<DeviceWorker>();
        var caches = _caches;
        var workers = devices.Select((device, i) => new DeviceWorker(
            $"{siloName}/{device}", device.ToString(), grains, new ShardRunner(caches[i], storage, metrics, siloName, settings.StorageOutageTolerance, logger), metrics, readiness, settings, clock, logger)).ToList();
        try
        {
            await Task.WhenAll(caches.Select(c => WarmUpAsync(c, settings.WarmupModel, logger, stopping.Token)));
            await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunAsync(stopping.Token), CancellationToken.None)));
        }
        finally
        {
            workers.ForEach(w => w.Dispose());
            foreach (var cache in caches)
            {
                cache.Dispose();
            }
        }
    }

    /// <summary>Opens the warm-up model on the device; a device that cannot stays not ready, with the reason, and still takes work.</summary>
    private async Task WarmUpAsync(EngineCache cache, string? model, ILogger logger, CancellationToken stoppingToken)
    {
        var device = cache.Device.ToString();
        if (string.IsNullOrWhiteSpace(model))
        {
            readiness.Ready(device, "ready (no warm-up model)");
            return;
        }

        var location = model.Equals(DefaultModelName, StringComparison.OrdinalIgnoreCase) ? null : model;
        readiness.Loading(device, location ?? "the built-in model");
        try
        {
            var engine = await cache.GetAsync(new JobSpec { Input = "", Output = "", Model = location }, stoppingToken);
            readiness.Ready(device, $"ready: {engine.Model.Path} open on {engine.Device}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            readiness.Failed(device, $"Inference:WarmupModel {model} could not be opened on {device}: {ex.Message}");
            LogWarmupFailed(logger, model, device, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inference:WarmupModel {Model} could not be opened on {Device} ({Reason}); the silo stays not ready.")]
    private static partial void LogWarmupFailed(ILogger logger, string model, string device, string reason);

    /// <summary>Parses <c>Inference:Devices</c>; a bad entry stops the silo with the setting's name.</summary>
    public static IReadOnlyList<DeviceChoice> Parse(string devices)
    {
        var parsed = new List<DeviceChoice>();
        foreach (var entry in devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                parsed.Add(DeviceChoice.Parse(entry));
            }
            catch (FormatException ex)
            {
                throw new OptionsValidationException(WorkerOptions.SectionName, typeof(WorkerOptions), [$"Inference:Devices: {ex.Message}"]);
            }
        }

        return parsed.Count > 0 && parsed.Distinct().Count() == parsed.Count
            ? parsed
            : throw new OptionsValidationException(WorkerOptions.SectionName, typeof(WorkerOptions),
                [$"Inference:Devices '{devices}': name each device once, for example auto, cpu or cuda:0,cuda:1."]);
    }
}
