using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// A cluster of real silo processes joined through Azure Table storage (Azurite), and an Orleans
/// client in the test process connected through every silo's gateway, so it keeps working when one dies.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos;
    private IHost? _client;

    private SiloCluster(string id, List<SiloProcess> silos)
    {
        Id = id;
        _silos = silos;
    }

    public string Id { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public SegmentationClient Client { get; private set; } = null!;

    public static async Task<SiloCluster> StartAsync(IntegrationFixture fixture, string name, int silos, CancellationToken cancellationToken)
    {
        var id = $"it-{name}-{Guid.NewGuid().ToString("N")[..8]}";
        var logs = Path.Combine(fixture.WorkFolder, "logs", id);
        var settings = new Dictionary<string, string> { ["Inference__ModelCache"] = Path.Combine(fixture.WorkFolder, "model-cache", id) };
        await fixture.ClearGrainStateAsync(cancellationToken);
        var starting = Enumerable.Range(1, silos)
            .Select(i => SiloProcess.StartAsync($"silo{i}", id, fixture.Azurite.ConnectionString, logs, settings, cancellationToken))
            .ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        var cluster = new SiloCluster(id, [.. starting.Select(t => t.Result)]);
        try
        {
            await cluster.ConnectAsync(cancellationToken);
            return cluster;
        }
        catch (Exception ex)
        {
            var logsText = cluster.Logs();
            await cluster.DisposeAsync();
            throw new InvalidOperationException($"The client could not connect to cluster {id}: {ex.Message}\n{logsText}", ex);
        }
    }

    public SiloProcess SiloAt(string endpoint) =>
        _silos.SingleOrDefault(s => s.Endpoint == endpoint)
        ?? throw new InvalidOperationException($"No silo of cluster {Id} is at {endpoint} (silos: {string.Join(", ", _silos.Select(s => s.Endpoint))}).");

    /// <summary>The end of every silo's log, for failure messages.</summary>
    public string Logs(int linesPerSilo = 40)
    {
        var text = new StringBuilder();
        foreach (var silo in _silos)
        {
            text.AppendLine(silo.Tail(linesPerSilo));
        }

        return text.ToString();
    }

    /// <summary>Stops every silo still running with SIGTERM (killing what does not exit in time); returns their exit codes by name.</summary>
    public async Task<IReadOnlyDictionary<string, int>> StopAsync()
    {
        await DisconnectAsync();
        var running = _silos.Where(s => !s.HasExited).ToList();
        var codes = await Task.WhenAll(running.Select(s => s.StopAsync(TimeSpan.FromSeconds(20))));
        return running.Select((s, i) => (s.Name, Code: codes[i])).ToDictionary(p => p.Name, p => p.Code);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DisconnectAsync();
        }
        finally
        {
            foreach (var silo in _silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var gateways = _silos.Select(s => new IPEndPoint(IPAddress.Loopback, s.GatewayPort)).ToArray();
        var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.UseStaticClustering(gateways);
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = Id;
                    o.ServiceId = Id;
                });
                // A call to a silo that was just killed fails in seconds, and the test asks again.
                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            })
            .Build();
        _client = host;
        await host.StartAsync(cancellationToken);
        Client = new SegmentationClient(host.Services.GetRequiredService<IClusterClient>());
    }

    private async Task DisconnectAsync()
    {
        if (_client is { } client)
        {
            _client = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await client.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The silos are going anyway.
            }
            finally
            {
                client.Dispose();
            }
        }
    }
}
