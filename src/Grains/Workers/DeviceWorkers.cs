using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Runs one <see cref="DeviceWorker"/> per configured device on this silo. Registered after the
/// silo, so it starts once the silo has joined and stops (handing its shards back) before the silo leaves.
/// </summary>
public sealed class DeviceWorkers(
    IOptions<WorkerOptions> options,
    IGrainFactory grains,
    IDatasetStorage storage,
    ILocalSiloDetails silo,
    TimeProvider clock,
    ILoggerFactory loggers) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var devices = Parse(settings.Devices);
        var siloName = silo.SiloAddress.Endpoint.ToString();
        var logger = loggers.CreateLogger<DeviceWorker>();
        var caches = devices.Select(d => new EngineCache(d, settings, storage, logger)).ToList();
        var workers = devices.Select((device, i) => new DeviceWorker(
            $"{siloName}/{device}", device.ToString(), grains, new ShardRunner(caches[i], storage, siloName), settings, clock, logger)).ToList();
        try
        {
            await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunAsync(stoppingToken), CancellationToken.None)));
        }
        finally
        {
            workers.ForEach(w => w.Dispose());
            caches.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Parses <c>Inference:Devices</c>; a bad entry stops the silo with the setting's name.</summary>
    public static IReadOnlyList<InferenceDevice> Parse(string devices)
    {
        var parsed = new List<InferenceDevice>();
        foreach (var entry in devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                parsed.Add(InferenceDevice.Parse(entry));
            }
            catch (FormatException ex)
            {
                throw new OptionsValidationException(WorkerOptions.SectionName, typeof(WorkerOptions), [$"Inference:Devices: {ex.Message}"]);
            }
        }

        return parsed.Count > 0 && parsed.Distinct().Count() == parsed.Count
            ? parsed
            : throw new OptionsValidationException(WorkerOptions.SectionName, typeof(WorkerOptions),
                [$"Inference:Devices '{devices}': name each device once, for example cpu or cuda:0,cuda:1."]);
    }
}
