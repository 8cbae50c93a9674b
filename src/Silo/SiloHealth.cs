using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Silo;

/// <summary>
/// <c>/healthz</c>: the process is alive (for liveness probes: restart it if not). <c>/readyz</c>: the
/// silo has joined the cluster, every device has its model open, and storage answers (for readiness
/// probes and load balancers: send it nothing until then), and fails again the moment the silo is
/// told to stop, before its workers finish their shards. Both answer JSON that says why.
/// </summary>
public static class SiloHealth
{
    private const string Ready = "ready";

    public static IServiceCollection AddSiloHealth(this IServiceCollection services)
    {
        services.AddSingleton<StorageProbe>();
        services.AddHealthChecks()
            .AddCheck<ClusterMembershipCheck>("cluster", tags: [Ready])
            .AddCheck<DevicesCheck>("devices", tags: [Ready])
            .AddCheck<StorageCheck>("storage", tags: [Ready])
            .AddCheck<StoppingCheck>("stopping", tags: [Ready]);
        return services;
    }

    public static WebApplication MapSiloHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = WriteAsync });
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    /// <summary>Ready once this silo is an active member of the cluster (not joining, not shutting down).</summary>
    private sealed class ClusterMembershipCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            var active = membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
            return Task.FromResult(status == SiloStatus.Active
                ? HealthCheckResult.Healthy($"{silo.SiloAddress.Endpoint} is active; {active} active silo(s) in cluster {silo.ClusterId}")
                : HealthCheckResult.Unhealthy($"{silo.SiloAddress.Endpoint} is {status}, not active, in cluster {silo.ClusterId}"));
        }
    }

    /// <summary>
    /// Not ready from the stop signal on: the silo is still an active member while its workers drain
    /// (Inference:ShutdownGrace), but it takes no new shards, so it counts as capacity no longer.
    /// </summary>
    private sealed class StoppingCheck(IHostApplicationLifetime lifetime) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
                ? HealthCheckResult.Unhealthy("stopping: leasing no more shards, finishing or handing back those it holds")
                : HealthCheckResult.Healthy("running"));
    }

    private sealed class DevicesCheck(DeviceReadiness devices) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var states = devices.States;
            var description = states.Count == 0 ? "the device workers have not started" : string.Join("; ", states.Select(d => $"{d.Key}: {d.Value}"));
            return Task.FromResult(devices.AllReady ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description));
        }
    }

    /// <summary>The configured blob account answers; asked at most every few seconds however often probes come (one shared probe).</summary>
    private sealed class StorageCheck(StorageProbe probe) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            probe.CheckAsync().WaitAsync(cancellationToken);
    }

    private sealed class StorageProbe(ObjectStoreFactory storage, TimeProvider clock)
    {
        private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(5);
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
        private readonly object _gate = new();
        private (DateTimeOffset At, Task<HealthCheckResult> Result)? _last;

        public Task<HealthCheckResult> CheckAsync()
        {
            lock (_gate)
            {
                if (_last is not { } last || (last.Result.IsCompleted && clock.GetUtcNow() - last.At >= Reuse))
                {
                    _last = last = (clock.GetUtcNow(), ProbeAsync());
                }

                return last.Result;
            }
        }

        private async Task<HealthCheckResult> ProbeAsync()
        {
            using var timeout = new CancellationTokenSource(Timeout);
            try
            {
                return HealthCheckResult.Healthy(await storage.CheckReachableAsync(timeout.Token));
            }
            catch (OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"the blob account did not answer within {Timeout.TotalSeconds} s");
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or InvalidOperationException or AggregateException)
            {
                return HealthCheckResult.Unhealthy($"the blob account did not answer: {ex.Message.Split('\n')[0]}");
            }
        }
    }
}
