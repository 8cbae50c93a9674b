using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Processes;

/// <summary>
/// What every cluster of a test run or benchmark run shares: the Azure Storage account (Azurite) its
/// silos join through and keep job state in, the container of input and output data that starting a
/// new cluster leaves alone, a folder for logs, and the silo settings.
/// </summary>
/// <param name="Settings">Silo settings as environment variable names (<c>Inference__Threads</c>), for every silo.</param>
/// <param name="OneCoreEach">
/// Each silo runs on a core of its own (silo i on core i), as it would on a machine of its own: for
/// scale-out measurements, where a silo must not borrow another's core for its decoding and writing.
/// </param>
/// <param name="ConfigureClient">More for the cluster's client, as its silos need it (TLS, say).</param>
public sealed record SiloClusterSetup(
    string StorageConnection, string DataContainer, string WorkFolder, IReadOnlyDictionary<string, string> Settings, bool OneCoreEach = false,
    Action<IClientBuilder>? ConfigureClient = null);

/// <summary>
/// A cluster of real silo processes joined through Azure Table storage (Azurite), and an Orleans
/// client in this process connected through every silo's gateway, so it keeps working when one dies.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos;
    private readonly SiloClusterSetup _setup;
    private readonly string _logs;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private IHost? _client;

    private SiloCluster(string id, List<SiloProcess> silos, SiloClusterSetup setup, string logs, IReadOnlyDictionary<string, string> settings)
    {
        Id = id;
        _silos = silos;
        _setup = setup;
        _logs = logs;
        _settings = settings;
    }

    public string Id { get; }

    /// <summary>Every silo started in this cluster, live or not, as of now (silos may be added while it is read).</summary>
    public IReadOnlyList<SiloProcess> Silos
    {
        get
        {
            lock (_silos)
            {
                return [.. _silos];
            }
        }
    }

    public SegmentationClient Client { get; private set; } = null!;

    /// <summary>The folders on this machine that the cluster's silos write to: their logs and their model cache.</summary>
    public IReadOnlyList<string> Folders => [_logs, _settings["Inference__ModelCache"]];

    /// <summary>The cluster's credential key (<c>Cluster:CredentialKey</c>), as its silos were given it.</summary>
    public string CredentialKey => _settings["Cluster__CredentialKey"];

    /// <summary>
    /// Starts <paramref name="silos"/> silos of a new cluster (its id starts with <paramref name="name"/>) and
    /// connects to them. The job state of earlier clusters is cleared first: it shares the account, and a
    /// job of theirs left unfinished would otherwise be announced to this one's workers.
    /// </summary>
    public static async Task<SiloCluster> StartAsync(SiloClusterSetup setup, string name, int silos, CancellationToken cancellationToken)
    {
        var id = $"{name}-{Guid.NewGuid().ToString("N")[..8]}";
        var logs = Path.Combine(setup.WorkFolder, "logs", id);
        var settings = new Dictionary<string, string>(setup.Settings)
        {
            ["Inference__ModelCache"] = Path.Combine(setup.WorkFolder, "model-cache", id),
            // The key that seals jobs' SAS in their stored state: one per cluster, as an operator's secret is.
            ["Cluster__CredentialKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        await ClearGrainStateAsync(setup, cancellationToken);
        var starting = Enumerable.Range(1, silos)
            .Select(i => SiloProcess.StartAsync(
                $"silo{i}", id, setup.StorageConnection, logs, settings, setup.OneCoreEach ? (i - 1) % Environment.ProcessorCount : null, cancellationToken))
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

        var cluster = new SiloCluster(id, [.. starting.Select(t => t.Result)], setup, logs, settings);
        try
        {
            await cluster.ConnectAsync(cancellationToken);
            return cluster;
        }
        catch (Exception ex)
        {
            var logsText = cluster.Logs();
            await cluster.DisposeAsync();
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new InvalidOperationException($"The client could not connect to cluster {id}: {ex.Message}\n{logsText}", ex);
        }
    }

    /// <summary>
    /// Starts one more silo in this cluster (a replacement for one that died, say) and connects the
    /// client to every silo still running, so it keeps working whichever of the first ones are gone.
    /// </summary>
    /// <param name="cancellationToken">Gives up the start.</param>
    /// <param name="settings">Settings of this silo alone, over the cluster's (a fault to inject, say).</param>
    /// <param name="program">The built silo to run (<see cref="RepoPaths.FaultySiloDll"/>, say); <c>unetpp-silo</c> when null.</param>
    public async Task<SiloProcess> AddSiloAsync(CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? settings = null, string? program = null)
    {
        string name;
        lock (_silos)
        {
            name = $"silo{_silos.Count + 1}";
        }

        var silo = await SiloProcess.StartAsync(name, Id, _setup.StorageConnection, _logs, Over(_settings, settings), null, cancellationToken, program);
        lock (_silos)
        {
            _silos.Add(silo);
        }

        await DisconnectAsync();
        await ConnectAsync(cancellationToken);
        return silo;
    }

    /// <summary>
    /// Stops every silo (SIGTERM, as a maintenance window or a redeploy does; SIGKILL all at once with
    /// <paramref name="kill"/>, as a power cut does), then starts as many new ones in the same cluster
    /// (same ids, same persisted state) and connects the client to them.
    /// </summary>
    /// <param name="settings">Settings of the new silos, over the cluster's (another credential key, say).</param>
    public async Task<IReadOnlyList<SiloProcess>> RestartAllAsync(CancellationToken cancellationToken, bool kill = false, IReadOnlyDictionary<string, string>? settings = null)
    {
        var count = Silos.Count(s => !s.HasExited);
        if (kill)
        {
            await DisconnectAsync();
            foreach (var silo in _silos.Where(s => !s.HasExited))
            {
                silo.Kill();
            }
        }
        else
        {
            await StopAsync();
        }

        var started = new List<SiloProcess>();
        for (var i = 0; i < count; i++)
        {
            var silo = await SiloProcess.StartAsync($"silo{Silos.Count + 1}", Id, _setup.StorageConnection, _logs, Over(_settings, settings), null, cancellationToken);
            lock (_silos)
            {
                _silos.Add(silo);
            }

            started.Add(silo);
        }

        await ConnectAsync(cancellationToken);
        return started;
    }

    /// <summary>The cluster's settings with <paramref name="settings"/> over them.</summary>
    private static Dictionary<string, string> Over(IReadOnlyDictionary<string, string> cluster, IReadOnlyDictionary<string, string>? settings)
    {
        var merged = new Dictionary<string, string>(cluster);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return merged;
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

    /// <summary>Empties every container but the data container: the job state of the clusters before.</summary>
    private static async Task ClearGrainStateAsync(SiloClusterSetup setup, CancellationToken cancellationToken)
    {
        var service = new BlobServiceClient(setup.StorageConnection);
        await foreach (var container in service.GetBlobContainersAsync(cancellationToken: cancellationToken))
        {
            if (container.Name == setup.DataContainer)
            {
                continue;
            }

            var client = service.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync(cancellationToken: cancellationToken))
            {
                await client.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
            }
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var gateways = _silos.Where(s => !s.HasExited).Select(s => new IPEndPoint(IPAddress.Loopback, s.GatewayPort)).ToArray();
        var host = new HostBuilder()
            .ConfigureServices(services => services.AddSingleton<IHostLifetime, SignalsToCaller>())
            .UseOrleansClient(client =>
            {
                client.UseStaticClustering(gateways);
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = Id;
                    o.ServiceId = Id;
                });
                // A call to a silo that was just killed fails in seconds, and the caller asks again.
                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
                _setup.ConfigureClient?.Invoke(client);
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

    /// <summary>
    /// Leaves Ctrl-C and SIGTERM to the program that owns the cluster. The host's default lifetime would
    /// take them to stop this client alone, and the program, with its silos, would go on running.
    /// </summary>
    private sealed class SignalsToCaller : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
