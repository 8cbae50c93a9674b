using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>A bad setting stops the silo before it joins a cluster, with a message that names the setting.</summary>
public sealed class SiloSettingsTests
{
    [Theory]
    [InlineData("Cluster:Clustering", "Kubernetes", "Cluster:Clustering")]
    [InlineData("Cluster:Clustering", "AzureStorage", "Cluster:StorageConnection is required")]
    [InlineData("Cluster:SiloPort", "70000", "Cluster:SiloPort 70000")]
    [InlineData("Cluster:Id", " ", "Cluster:Id must not be empty")]
    [InlineData("Cluster:AdvertisedAddress", "silo-1", "Cluster:AdvertisedAddress 'silo-1'")]
    [InlineData("Cluster:CredentialKey", "c2hvcnQ=", "Cluster:CredentialKey: give 32 random bytes in base64")]
    [InlineData("Cluster:Tls:CertificatePath", "/no/such/silo.pfx", "Cluster:Tls:CertificatePath and Cluster:Tls:TrustedAuthorityPath go together")]
    [InlineData("Cluster:Tls:TrustedAuthorityPath", "/no/such/ca.pem", "Cluster:Tls:CertificatePath and Cluster:Tls:TrustedAuthorityPath go together")]
    public async Task ABadClusterSettingStopsTheSiloAndIsNamed(string key, string value, string expected)
    {
        var message = await StartFailureAsync(new() { [key] = value });

        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TlsFilesThatCannotBeReadStopTheSiloNamingEachSetting()
    {
        var folder = Directory.CreateTempSubdirectory("unetpp-tls-settings-").FullName;
        try
        {
            var notACertificate = Path.Combine(folder, "silo.pfx");
            await File.WriteAllTextAsync(notACertificate, "not a certificate");

            var message = await StartFailureAsync(new()
            {
                ["Cluster:Tls:CertificatePath"] = notACertificate,
                ["Cluster:Tls:TrustedAuthorityPath"] = Path.Combine(folder, "missing-ca.pem"),
            });

            Assert.Contains($"Cluster:Tls:CertificatePath {notACertificate}: cannot be read", message, StringComparison.Ordinal);
            Assert.Contains("is Cluster:Tls:CertificatePassword right?", message, StringComparison.Ordinal);
            Assert.Contains("Cluster:Tls:TrustedAuthorityPath", message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task EqualSiloAndGatewayPortsStopTheSilo()
    {
        var message = await StartFailureAsync(new() { ["Cluster:SiloPort"] = "11111", ["Cluster:GatewayPort"] = "11111" });

        Assert.Contains("Cluster:SiloPort and Cluster:GatewayPort are both 11111", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Inference:Devices", "gpu", "Inference:Devices: 'gpu' is not an inference device; use auto, cpu or cuda:N")]
    [InlineData("Inference:Devices", "cpu,cpu", "Inference:Devices 'cpu,cpu': name each device once")]
    [InlineData("Inference:BatchSize", "0", "The field BatchSize must be between 1 and 1024")]
    [InlineData("Inference:Threads", "-1", "The field Threads must be between 0 and 1024")]
    [InlineData("Inference:InFlightBatches", "9", "The field InFlightBatches must be between 1 and 8")]
    [InlineData("Inference:Cuda:ConvolutionSearch", "fastest", "Inference:Cuda:ConvolutionSearch 'fastest': use Exhaustive, Heuristic or Default")]
    [InlineData("Inference:Cuda:MemoryLimitBytes", "0", "Inference:Cuda:MemoryLimitBytes 0: a memory limit is a positive number of bytes")]
    public async Task ABadInferenceSettingStopsTheSiloAndIsNamed(string key, string value, string expected)
    {
        var message = await StartFailureAsync(new() { [key] = value });

        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00.5")]
    [InlineData("2.00:00:00")]
    public async Task APriorityAgeingOutOfRangeStopsTheSiloAndIsNamed(string value)
    {
        var message = await StartFailureAsync(new() { ["Jobs:PriorityAgeing"] = value });

        Assert.Contains("Jobs:PriorityAgeing: how long a waiting job takes to rise one priority step, from 00:00:01 to 1.00:00:00", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACudaDeviceThatCannotBeUsedStopsTheSiloSayingWhatFailedToLoad()
    {
        // These machines, like CI, have ONNX Runtime's CUDA provider but not the CUDA libraries it needs.
        var message = await StartFailureAsync(new() { ["Inference:Devices"] = "cpu,cuda:0" });

        Assert.Matches(@"^cuda:0 cannot be used: ONNX Runtime's CUDA provider needs lib\w+\.so[\d.]* \([^)]+\), which is not installed", message);
    }

    [Theory]
    [InlineData("auto", "cpu")]
    [InlineData("auto,cpu", "cpu")]
    [InlineData("cpu", "cpu")]
    public async Task AutoIsSettledAtStartOnTheDeviceThatWorks(string devices, string settled)
    {
        using var host = Build(new() { ["Inference:Devices"] = devices });

        await host.StartAsync();
        try
        {
            Assert.Equal([settled], host.Services.GetRequiredService<DeviceWorkers>().Devices.Select(d => d.ToString()));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task GoodSettingsStartAnActiveSiloWithThemThatStopsCleanly()
    {
        var ports = FreePorts.Take(2);
        var (siloPort, gatewayPort) = (ports[0], ports[1]);
        using var host = Build(new() { ["Cluster:SiloPort"] = $"{siloPort}", ["Cluster:GatewayPort"] = $"{gatewayPort}", ["Inference:BatchSize"] = "8" });

        await host.StartAsync();

        var silo = host.Services.GetRequiredService<ILocalSiloDetails>();
        var inference = host.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
        Assert.Equal(("unetpp-silo-tests", siloPort, gatewayPort), (silo.ClusterId, silo.SiloAddress.Endpoint.Port, silo.GatewayAddress?.Endpoint.Port));
        Assert.Equal(SiloStatus.Active, host.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.GetSiloStatus(silo.SiloAddress));
        Assert.Equal(("cpu", 1, 8, TimeSpan.FromMilliseconds(100)), (inference.Devices, inference.Threads, inference.BatchSize, inference.PollInterval));
        Assert.True(await FreePorts.AcceptsAsync(gatewayPort, CancellationToken.None), $"nothing listens on the gateway port {gatewayPort}");

        await host.StopAsync();

        Assert.Equal(SiloStatus.Dead, host.Services.GetRequiredService<ISiloStatusOracle>().CurrentStatus);
        Assert.False(await FreePorts.AcceptsAsync(siloPort, CancellationToken.None), $"the stopped silo still listens on its silo port {siloPort}");
        Assert.False(await FreePorts.AcceptsAsync(gatewayPort, CancellationToken.None), $"the stopped silo still listens on its gateway port {gatewayPort}");
    }

    /// <summary>Builds and starts a silo with some settings changed from a good local set; returns every message of what stopped it.</summary>
    private static async Task<string> StartFailureAsync(Dictionary<string, string?> overrides)
    {
        Exception? failure;
        IHost? host = null;
        try
        {
            host = Build(overrides);
            failure = await Record.ExceptionAsync(() => host.StartAsync());
        }
        catch (Exception ex) when (host is null)
        {
            failure = ex;
        }

        if (host is not null)
        {
            // A silo that never started refuses to stop; all that is left to release is the host itself.
            await Record.ExceptionAsync(() => host.StopAsync());
            host.Dispose();
        }

        Assert.NotNull(failure);
        return string.Join(" | ", Messages(failure));
    }

    private static IHost Build(Dictionary<string, string?> overrides)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var ports = FreePorts.Take(2);

        var settings = new Dictionary<string, string?>
        {
            ["Cluster:Id"] = "unetpp-silo-tests",
            ["Cluster:Clustering"] = "Localhost",
            ["Cluster:SiloPort"] = $"{ports[0]}",
            ["Cluster:GatewayPort"] = $"{ports[1]}",
            ["Inference:Devices"] = "cpu",
            ["Inference:Threads"] = "1",
            ["Inference:PollInterval"] = "00:00:00.100",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddSegmentationSilo();
        return builder.Build();
    }

    private static IEnumerable<string> Messages(Exception exception)
    {
        yield return exception.Message;
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : exception.InnerException is { } one ? [one] : [];
        foreach (var message in inner.SelectMany(Messages))
        {
            yield return message;
        }
    }
}
