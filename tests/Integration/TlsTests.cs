using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Connections.Security;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// Silos that talk TLS to each other and to clients, every end showing a certificate of the cluster's
/// own authority: a job runs across two of them, and a client without such a certificate (none, or
/// one from another authority) cannot connect, through the command line as through the API.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class TlsTests(IntegrationFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const string Password = "cluster-secret";

    private readonly string _folder = Directory.CreateTempSubdirectory("unetpp-tls-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task OnlyClientsWithACertificateOfTheClustersAuthorityGetIn()
    {
        using var authority = Authority("unetpp test cluster CA");
        using var rogue = Authority("someone else's CA");
        using var siloCertificate = Issue(authority, "silo");
        using var clientCertificate = Issue(authority, "client");
        using var rogueCertificate = Issue(rogue, "client");
        var authorityPath = Write("ca.pem", authority.ExportCertificatePem());
        var siloPath = Write("silo.pfx", siloCertificate.Export(X509ContentType.Pkcs12, Password));
        var clientPath = Write("client.pfx", clientCertificate.Export(X509ContentType.Pkcs12, Password));
        var roguePath = Write("rogue.pfx", rogueCertificate.Export(X509ContentType.Pkcs12, Password));

        var settings = new Dictionary<string, string>(fixture.Silos.Settings)
        {
            ["Cluster__Tls__CertificatePath"] = siloPath,
            ["Cluster__Tls__CertificatePassword"] = Password,
            ["Cluster__Tls__TrustedAuthorityPath"] = authorityPath,
        };
        var setup = fixture.Silos with
        {
            Settings = settings,
            ConfigureClient = client => client.UseTls(clientCertificate, o => Mutual(o, clientCertificate, authority)),
        };

        var reference = await fixture.ReferenceAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var cluster = await SiloCluster.StartAsync(setup, "it-tls", 2, deadline.Token);

        // Silo to silo and client to silo over TLS: the job spreads over both silos and is the one-silo run's.
        var outcome = await fixture.RunJobAsync(cluster, "out-tls", onStatus: null, deadline.Token);
        Assert.Equal(Dataset.GoodCount, outcome.Masks.Count);
        Assert.All(reference.Masks, m => Assert.Equal(m.Value, outcome.Masks[m.Key]));
        Assert.True(outcome.Report!.ImagesBySilo.Count == 2, $"Images by silo: {string.Join(", ", outcome.Report.ImagesBySilo)}.");

        var gateway = cluster.Silos[0].GatewayPort;
        Assert.False(await ConnectsAsync(cluster.Id, gateway, null), "a client with no certificate got in");
        Assert.False(await ConnectsAsync(cluster.Id, gateway, (rogueCertificate, authority)), "a client with another authority's certificate got in");
        Assert.True(await ConnectsAsync(cluster.Id, gateway, (clientCertificate, authority)), "a client with the cluster's certificate was refused");

        // The command line: the password from the environment, never an argument.
        var common = new[] { "list", "--gateway", $"127.0.0.1:{gateway}", "--cluster-id", cluster.Id, "--connect-timeout", "5" };
        var allowed = await RunClientAsync([.. common, "--tls-certificate", clientPath, "--tls-authority", authorityPath], deadline.Token);
        var refused = await RunClientAsync([.. common, "--tls-certificate", roguePath, "--tls-authority", authorityPath], deadline.Token);
        var plain = await RunClientAsync(common, deadline.Token);
        output.WriteLine($"unetpp list with the cluster's certificate: exit {allowed.Code}; another authority's: exit {refused.Code}; none: exit {plain.Code}");
        Assert.True(allowed.Code == 0, allowed.Text);
        Assert.Contains("job-", allowed.Text, StringComparison.Ordinal);
        Assert.NotEqual(0, refused.Code);
        Assert.NotEqual(0, plain.Code);
        Assert.Contains("cannot reach cluster", plain.Text, StringComparison.Ordinal);

        // The secrets the silos were given are in none of their logs, as written (JSON) or as read back.
        foreach (var silo in cluster.Silos)
        {
            var log = await File.ReadAllTextAsync(silo.LogPath, deadline.Token) + silo.Tail(int.MaxValue);
            Assert.DoesNotContain(Password, log, StringComparison.Ordinal);
            Assert.DoesNotContain(AzuriteProcess.AccountKey, log, StringComparison.Ordinal);
        }
    }

    /// <summary>Both ends show a certificate, and the other end's must chain to the authority.</summary>
    private static void Mutual(TlsOptions options, X509Certificate2 certificate, X509Certificate2 authority)
    {
        options.LocalCertificate = certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (presented, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(presented);
        };
    }

    /// <summary>Whether an Orleans client with this certificate (or none) can connect and make a call.</summary>
    private static async Task<bool> ConnectsAsync(string clusterId, int gateway, (X509Certificate2 Certificate, X509Certificate2 Authority)? tls)
    {
        using var host = new HostBuilder().UseOrleansClient(client =>
        {
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, gateway));
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, clusterId));
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
            if (tls is { } t)
            {
                client.UseTls(t.Certificate, o => Mutual(o, t.Certificate, t.Authority));
            }
        }).Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await host.StartAsync(timeout.Token);
            await new Contracts.SegmentationClient(host.Services.GetRequiredService<IClusterClient>()).ListAsync().WaitAsync(timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await host.StopAsync(stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task<(int Code, string Text)> RunClientAsync(string[] arguments, CancellationToken cancellationToken)
    {
        TestTier.StartingProcess("the unetpp command line");
        var start = new ProcessStartInfo(RepoPaths.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(RepoPaths.ClientDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["UNETPP_TLS_PASSWORD"] = Password;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A certificate for either end of a connection (server and client authentication), issued by the authority.</summary>
    private static X509Certificate2 Issue(X509Certificate2 authority, string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(12));
        return issued.CopyWithPrivateKey(key);
    }

    private string Write(string name, string text) => Write(name, System.Text.Encoding.ASCII.GetBytes(text));

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
