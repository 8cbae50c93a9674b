using System.CommandLine;
using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Client;

/// <summary>The cluster could not be reached; the message names the gateways (or the cluster storage) and the cluster id.</summary>
internal sealed class ClusterUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The options that say which running cluster a command talks to, shared by <c>submit</c>, <c>status</c>,
/// <c>watch</c>, <c>list</c>, <c>cancel</c> and <c>cluster</c> so they all take the same words.
/// </summary>
internal sealed class ClusterConnectionOptions
{
    public const string DefaultGateway = "127.0.0.1:30000";

    private readonly Option<string[]> gateways = new("--gateway")
    {
        Description = $"A silo's gateway as host:port; repeat for several (default {DefaultGateway}).",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> clusterStorage = new("--cluster-storage")
    {
        Description = "Find the gateways in the cluster's Azure Table storage (a connection string) instead of --gateway.",
    };

    private readonly Option<string> clusterId = new("--cluster-id")
    {
        Description = "The cluster's id: the silos' Cluster:Id.",
        DefaultValueFactory = _ => "unetpp",
    };

    /// <summary>How long to try a gateway before saying the cluster cannot be reached.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public void AddTo(Command command)
    {
        command.Options.Add(gateways);
        command.Options.Add(clusterStorage);
        command.Options.Add(clusterId);
    }

    /// <summary>The cluster the user named; a malformed gateway or an empty id is a usage error.</summary>
    public ClusterAddress Read(ParseResult parse)
    {
        var id = parse.GetRequiredValue(clusterId).Trim();
        if (id.Length == 0)
        {
            throw new UsageException("--cluster-id must not be empty; use the silos' Cluster:Id.");
        }

        var storage = parse.GetValue(clusterStorage);
        var given = parse.GetValue(gateways) ?? [];
        if (storage is not null)
        {
            if (string.IsNullOrWhiteSpace(storage))
            {
                throw new UsageException("--cluster-storage needs an Azure Storage connection string (UseDevelopmentStorage=true for Azurite).");
            }

            if (given.Length > 0)
            {
                throw new UsageException("Use either --gateway or --cluster-storage, not both.");
            }

            return new ClusterAddress(id, [], storage, ConnectTimeout);
        }

        var endpoints = (given.Length > 0 ? given : [DefaultGateway]).Select(ParseGateway).ToList();
        return new ClusterAddress(id, endpoints, null, ConnectTimeout);
    }

    /// <summary>Reads the options and connects; see <see cref="ClusterConnection.ConnectAsync"/>.</summary>
    public Task<ClusterConnection> ConnectAsync(ParseResult parse, CancellationToken cancellationToken) =>
        ClusterConnection.ConnectAsync(Read(parse), cancellationToken);

    private static IPEndPoint ParseGateway(string text)
    {
        var value = text.Trim();
        var colon = value.LastIndexOf(':');
        if (colon > 0 && colon < value.Length - 1
            && int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
        {
            var host = value[..colon].Trim('[', ']');
            if (IPAddress.TryParse(host, out var address))
            {
                return new IPEndPoint(address, port);
            }

            try
            {
                var resolved = Dns.GetHostAddresses(host);
                var chosen = resolved.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? resolved.FirstOrDefault();
                if (chosen is not null)
                {
                    return new IPEndPoint(chosen, port);
                }
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                throw new UsageException($"--gateway {text}: cannot resolve '{host}' ({ex.Message}).");
            }

            throw new UsageException($"--gateway {text}: '{host}' has no address.");
        }

        throw new UsageException($"--gateway {text}: use host:port, for example {DefaultGateway}.");
    }
}

/// <summary>Where a running cluster is: its id, and its gateways or the storage that lists them.</summary>
internal sealed record ClusterAddress(string ClusterId, IReadOnlyList<IPEndPoint> Gateways, string? StorageConnection, TimeSpan ConnectTimeout)
{
    /// <summary>The cluster as a message names it.</summary>
    public string Describe() => StorageConnection is null
        ? $"cluster '{ClusterId}' at gateway {string.Join(", ", Gateways)}"
        : $"cluster '{ClusterId}' through the gateways listed in its cluster storage";
}

/// <summary>
/// An Orleans client connected to a running cluster, for the commands that talk to one. Disposing it
/// disconnects. The cluster's own chatter stays out of the output: only warnings, on stderr.
/// </summary>
internal sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost host;

    private ClusterConnection(IHost host, ClusterAddress address)
    {
        this.host = host;
        Address = address;
        Client = new SegmentationClient(host.Services.GetRequiredService<IClusterClient>());
    }

    public ClusterAddress Address { get; }

    public SegmentationClient Client { get; }

    /// <summary>Connects, or fails with one <see cref="ClusterUnavailableException"/> that names the gateways.</summary>
    public static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, CancellationToken cancellationToken)
    {
        var host = Build(address);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(address.ConnectTimeout);
        try
        {
            await host.StartAsync(timeout.Token);
            return new ClusterConnection(host, address);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            await StopAsync(host);
            var reason = ex is OperationCanceledException ? $"no answer within {address.ConnectTimeout.TotalSeconds:0.#} s" : ex.Message;
            throw new ClusterUnavailableException(
                $"cannot reach {address.Describe()}: {reason}. Check that a silo runs there and that --cluster-id matches its Cluster:Id.", ex);
        }
        catch
        {
            await StopAsync(host);
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(host);

    private static IHost Build(ClusterAddress address)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A gateway that cannot be reached is said once, by the command, not by every retry.
        builder.Logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Messaging", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Runtime.GatewayManager", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Runtime.OutsideRuntimeClient", LogLevel.None);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = address.ClusterId;
                o.ServiceId = address.ClusterId;
            });
            client.Configure<ConnectionOptions>(o => o.OpenConnectionTimeout = address.ConnectTimeout);
            if (address.StorageConnection is { } connection)
            {
                client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connection));
            }
            else
            {
                client.UseStaticClustering([.. address.Gateways]);
            }
        });
        return builder.Build();
    }

    private static async Task StopAsync(IHost host)
    {
        try
        {
            await host.StopAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Stopping a client that never connected can fail too; there is nothing left to release but the host.
        }
        finally
        {
            host.Dispose();
        }
    }
}
