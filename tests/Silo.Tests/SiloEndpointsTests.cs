using Microsoft.AspNetCore.Builder;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>The silo's HTTP side as probes, scrapers and operators see it: a real silo on loopback ports.</summary>
public sealed class SiloEndpointsTests
{
    [Fact]
    public async Task ReadyzSaysReadyOnceJoinedWithTheModelOpenAndStorageAnswering()
    {
        await using var silo = await RunningSilo.StartAsync(new() { ["Inference:WarmupModel"] = "default" });

        var (status, checks) = await silo.WaitForReadyzAsync(HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["cluster", "devices", "stopping", "storage"], checks.Keys.Order(StringComparer.Ordinal));
        Assert.All(checks.Values, c => Assert.Equal("Healthy", c.Status));
        Assert.Contains("is active", checks["cluster"].Description, StringComparison.Ordinal);
        Assert.Contains("nuclei-unetpp.onnx open on cpu", checks["devices"].Description, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await silo.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task ReadyzFailsAsSoonAsTheSiloIsToldToStop()
    {
        await using var silo = await RunningSilo.StartAsync([]);
        await silo.WaitForReadyzAsync(HttpStatusCode.OK);

        // The stop signal alone, as SIGTERM gives it: the silo has not begun to leave, and still answers.
        silo.SignalStop();
        var (status, checks) = await silo.WaitForReadyzAsync(HttpStatusCode.ServiceUnavailable);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", checks["stopping"].Status);
        Assert.StartsWith("stopping: leasing no more shards", checks["stopping"].Description, StringComparison.Ordinal);
        Assert.Equal("Healthy", checks["cluster"].Status);
        Assert.Equal(HttpStatusCode.OK, (await silo.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task ReadyzAndMetricsNameTheDeviceAutoSettledOn()
    {
        await using var silo = await RunningSilo.StartAsync(new() { ["Inference:Devices"] = "auto", ["Inference:WarmupModel"] = "default" });

        var (status, checks) = await silo.WaitForReadyzAsync(HttpStatusCode.OK);

        // The worker starts taking leases, and counting them under its device, just after it is ready.
        var text = "";
        for (var tries = 0; tries < 300 && !text.Contains("unetpp_leases_held{", StringComparison.Ordinal); tries++)
        {
            using var metrics = await silo.GetAsync("/metrics");
            text = await metrics.Content.ReadAsStringAsync();
            await Task.Delay(100);
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("cpu: ready: ", checks["devices"].Description, StringComparison.Ordinal);
        Assert.EndsWith("nuclei-unetpp.onnx open on cpu", checks["devices"].Description, StringComparison.Ordinal);
        Assert.Matches("""unetpp_leases_held\{[^}]*device="cpu"[^}]*\} 0""", text);
        Assert.DoesNotContain("device=\"auto\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDevicesOpenTheirModelsThroughARuntimeTheHostRegistersBeforeBuilding()
    {
        var runtime = new CountingRuntime();
        await using var silo = await RunningSilo.StartAsync(
            new() { ["Inference:WarmupModel"] = "default" }, builder => builder.Services.AddSingleton<IInferenceRuntime>(runtime));

        var (status, _) = await silo.WaitForReadyzAsync(HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, runtime.Opened);
    }

    [Fact]
    public async Task ReadyzStaysUnavailableWhileTheWarmupModelCannotBeOpened()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"unetpp-no-such-model-{Guid.NewGuid():N}.onnx");
        await using var silo = await RunningSilo.StartAsync(new() { ["Inference:WarmupModel"] = missing });

        var (status, checks) = await silo.WaitForReadyzAsync(HttpStatusCode.ServiceUnavailable, until: c => c["devices"].Description.Contains("could not be opened", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", checks["devices"].Status);
        Assert.Contains($"Inference:WarmupModel {missing}", checks["devices"].Description, StringComparison.Ordinal);
        Assert.Equal("Healthy", checks["cluster"].Status);

        // Alive all the same: a liveness probe must not restart a silo for a model it cannot open.
        Assert.Equal(HttpStatusCode.OK, (await silo.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task ReadyzSaysStorageIsUnreachableWithoutQuotingItsKey()
    {
        const string key = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWstaW50by1wcm9iZXM=";
        var closed = FreePorts.Take(1)[0];
        await using var silo = await RunningSilo.StartAsync(new()
        {
            ["Storage:BlobConnection"] = $"DefaultEndpointsProtocol=http;AccountName=probe;AccountKey={key};BlobEndpoint=http://127.0.0.1:{closed}/probe",
            ["Storage:MaxRetries"] = "0",
        });

        var (status, checks) = await silo.WaitForReadyzAsync(HttpStatusCode.ServiceUnavailable, until: c => c["storage"].Status == "Unhealthy");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("the blob account did not answer", checks["storage"].Description, StringComparison.Ordinal);
        Assert.DoesNotContain(key, checks["storage"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOrleansDashboardIsOffUnlessEnabled()
    {
        await using (var silo = await RunningSilo.StartAsync([]))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await silo.GetAsync("/dashboard/")).StatusCode);
        }

        await using (var silo = await RunningSilo.StartAsync(new() { ["Dashboard:Enabled"] = "true" }))
        {
            using var page = await silo.GetAsync("/dashboard/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("Orleans", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task TheDashboardAsksForItsPasswordWhenOneIsSetAndTheOtherEndpointsStayOpen()
    {
        await using var silo = await RunningSilo.StartAsync(new()
        {
            ["Dashboard:Enabled"] = "true",
            ["Dashboard:Username"] = "operator",
            ["Dashboard:Password"] = "correct horse battery staple",
        });

        using (var anonymous = await silo.GetAsync("/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("Basic realm=\"unetpp dashboard\"", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        foreach (var (user, password) in new[] { ("operator", "wrong"), ("someone", "correct horse battery staple"), ("operator", "") })
        {
            using var refused = await silo.GetAsync("/dashboard/", Basic(user, password));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var page = await silo.GetAsync("/dashboard/", Basic("operator", "correct horse battery staple")))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        // Probes and the scraper carry no credentials.
        Assert.Equal(HttpStatusCode.OK, (await silo.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await silo.GetAsync("/metrics")).StatusCode);

        static AuthenticationHeaderValue Basic(string user, string password) =>
            new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    [Fact]
    public void AUserNameWithoutAPasswordStopsTheSiloNamingBothSettings()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            SiloApplication.Build([], RunningSilo.Settings(FreePorts.Take(1)[0], new() { ["Dashboard:Enabled"] = "true", ["Dashboard:Username"] = "operator" })));

        Assert.Contains("Dashboard:Username and Dashboard:Password go together", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsAreServedInPrometheusTextWithTheProjectsAndOrleansFamilies()
    {
        await using var silo = await RunningSilo.StartAsync([]);
        await silo.WaitForReadyzAsync(HttpStatusCode.OK);

        using var response = await silo.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("# TYPE unetpp_jobs gauge", text, StringComparison.Ordinal);
        Assert.Contains("unetpp_jobs{otel_scope_name=\"UNetPP.Cluster\",state=\"running\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE unetpp_leases_held gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE orleans_", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_cpu_time_seconds_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_gc_collections_total counter", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Telemetry:OtlpEndpoint", "collector:4317", "Telemetry:OtlpEndpoint 'collector:4317' is not an absolute http or https URL")]
    [InlineData("Telemetry:OtlpProtocol", "udp", "Telemetry:OtlpProtocol 'udp': use grpc or http/protobuf")]
    public void ABadTelemetrySettingStopsTheSiloAndIsNamed(string key, string value, string expected)
    {
        var failure = Assert.ThrowsAny<Exception>(() => SiloApplication.Build([], RunningSilo.Settings(FreePorts.Take(1)[0], new() { [key] = value })));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    public sealed record Check(string Status, string Description);

    /// <summary>ONNX Runtime, counting the sessions it opens.</summary>
    private sealed class CountingRuntime : IInferenceRuntime
    {
        private int _opened;

        public int Opened => Volatile.Read(ref _opened);

        public IDeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger)
        {
            Interlocked.Increment(ref _opened);
            return OnnxInferenceRuntime.Instance.Open(model, options, logger);
        }
    }
}
