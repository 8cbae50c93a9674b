using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Hosting;

public static class WorkerHostingExtensions
{
    /// <summary>What a stopping silo needs beyond its workers' grace: stopping the shards still running, handing them back, leaving the cluster.</summary>
    private static readonly TimeSpan LeavingTime = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Adds dataset storage and one device worker per configured device (settings <c>Inference:*</c>
    /// and <c>Storage:*</c>, validated at start so a bad one stops the silo with its name). Call after
    /// the silo is added, so the workers start after it and stop before it. Models run on ONNX Runtime
    /// unless the host registers another <see cref="IInferenceRuntime"/>.
    /// </summary>
    public static IServiceCollection AddDeviceWorkers(this IServiceCollection services)
    {
        services.AddDatasetStorage();
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => DeviceWorkers.Parse(o.Devices).Count > 0, "Inference:Devices names no device.")
            .Validate(o => o.Cuda.Validated(), "Inference:Cuda is not valid.").ValidateOnStart();
        services.TryAddSingleton<DeviceReadiness>();
        services.TryAddSingleton<IInferenceRuntime>(OnnxInferenceRuntime.Instance);
        // One instance, as a hosted service and as what the host asks which devices its workers settled on.
        services.TryAddSingleton<DeviceWorkers>();
        services.AddHostedService(sp => sp.GetRequiredService<DeviceWorkers>());

        // The host gives its services this long to stop, 30 s unless told: too short for a worker that
        // may let its shards run for Inference:ShutdownGrace, then hand them back and leave the cluster.
        services.AddOptions<HostOptions>().Configure<IOptions<WorkerOptions>>((host, workers) =>
            host.ShutdownTimeout = TimeSpan.FromTicks(Math.Max(host.ShutdownTimeout.Ticks, (workers.Value.ShutdownGrace + LeavingTime).Ticks)));
        return services;
    }

    /// <summary>Storage, metrics and job settings for job grains and workers (settings <c>Storage:*</c> and <c>Jobs:*</c>).</summary>
    public static IServiceCollection AddDatasetStorage(this IServiceCollection services)
    {
        services.AddOptions<JobOptions>().BindConfiguration(JobOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<ClusterMetrics>();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(sp => new ObjectStoreFactory(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.TryAddSingleton<IDatasetStorage, DatasetStorage>();
        // Job state in this process's memory needs no key that outlives it; a host that stores state registers the cluster's.
        services.TryAddSingleton(_ => CredentialSeal.ForThisProcess());
        return services;
    }
}
