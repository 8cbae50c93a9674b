using System.CommandLine;
using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Spectre.Console;
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

    /// <summary>Where the client certificate's password comes from: never the command line, where process listings show it.</summary>
    public const string TlsPasswordVariable = "UNETPP_TLS_PASSWORD";

    /// <summary>The cluster storage's connection string when it carries a key, which the command line must not.</summary>
    public const string ClusterStorageVariable = "UNETPP_CLUSTER_STORAGE";

    private readonly Option<string[]> gateways = new("--gateway")
    {
        Description = $"A silo's gateway as host:port; repeat for several (default {DefaultGateway}).",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> clusterStorage = new("--cluster-storage")
    {
        Description = $"Find the gateways in the cluster's Azure Table storage instead of --gateway: a keyless connection string here, or one with its key in ${ClusterStorageVariable}.",
    };

    private readonly Option<string> clusterId = new("--cluster-id")
    {
        Description = "The cluster's id: the silos' Cluster:Id.",
        DefaultValueFactory = _ => "unetpp",
    };

    private readonly Option<string?> tlsCertificate = new("--tls-certificate")
    {
        Description = $"This client's certificate (PKCS#12) for a cluster that uses TLS; its password from ${TlsPasswordVariable}.",
    };

    private readonly Option<string?> tlsAuthority = new("--tls-authority")
    {
        Description = "The certificate of the authority that issued the silos' certificates (PEM or DER).",
    };

    private readonly Option<double> connectTimeout = new("--connect-timeout")
    {
        Description = "Seconds to keep trying the gateways (a silo may be starting) before giving up.",
        DefaultValueFactory = _ => 5,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(gateways);
        command.Options.Add(clusterStorage);
        command.Options.Add(clusterId);
        command.Options.Add(connectTimeout);
        command.Options.Add(tlsCertificate);
        command.Options.Add(tlsAuthority);
    }

    /// <summary>The cluster the user named; a malformed gateway or an empty id is a usage error.</summary>
    public ClusterAddress Read(ParseResult parse)
    {
        var id = parse.GetRequiredValue(clusterId).Trim();
        if (id.Length == 0)
        {
            throw new UsageException("--cluster-id must not be empty; use the silos' Cluster:Id.");
        }

        var seconds = parse.GetValue(connectTimeout);
        if (seconds is not (> 0 and <= 3600))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--connect-timeout {seconds}: use a number of seconds above 0 (at most 3600)."));
        }

        var timeout = TimeSpan.FromSeconds(seconds);
        var tls = new ClusterTls
        {
            CertificatePath = parse.GetValue(tlsCertificate),
            TrustedAuthorityPath = parse.GetValue(tlsAuthority),
            CertificatePassword = Environment.GetEnvironmentVariable(TlsPasswordVariable),
        };
        if (tls.Problems() is { Count: > 0 } problems)
        {
            throw new UsageException(string.Join(" ", problems)
                .Replace("Cluster:Tls:CertificatePassword", TlsPasswordVariable, StringComparison.Ordinal)
                .Replace("Cluster:Tls:CertificatePath", "--tls-certificate", StringComparison.Ordinal)
                .Replace("Cluster:Tls:TrustedAuthorityPath", "--tls-authority", StringComparison.Ordinal));
        }

        var security = tls.Enabled ? tls : null;
        var given = parse.GetValue(gateways) ?? [];

        // The variable stands in for the option, unless gateways are named.
        var storage = SecretArguments.Checked("--cluster-storage", parse.GetValue(clusterStorage), ClusterStorageVariable)
            ?? (given.Length == 0 && Environment.GetEnvironmentVariable(ClusterStorageVariable) is { Length: > 0 } inherited ? inherited : null);
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

            return new ClusterAddress(id, [], storage, timeout, security);
        }

        var endpoints = (given.Length > 0 ? given : [DefaultGateway]).Select(ParseGateway).ToList();
        return new ClusterAddress(id, endpoints, null, timeout, security);
    }

    /// <summary>Reads the options and connects; see <see cref="ClusterConnection.ConnectAsync"/>.</summary>
    public Task<ClusterConnection> ConnectAsync(ParseResult parse, CancellationToken cancellationToken) =>
        ClusterConnection.ConnectAsync(Read(parse), logs: null, cancellationToken);

    /// <summary>Reads the options and connects, with the client's warnings on <paramref name="logs"/> (the console of a live progress bar).</summary>
    public Task<ClusterConnection> ConnectAsync(ParseResult parse, IAnsiConsole logs, CancellationToken cancellationToken) =>
        ClusterConnection.ConnectAsync(Read(parse), logs, cancellationToken);

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
internal sealed record ClusterAddress(string ClusterId, IReadOnlyList<IPEndPoint> Gateways, string? StorageConnection, TimeSpan ConnectTimeout, ClusterTls? Tls = null)
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
    /// <param name="logs">Where the client's warnings go: the console of a live progress bar, or stderr when null.</param>
    public static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, IAnsiConsole? logs, CancellationToken cancellationToken)
    {
        var retries = new ConnectRetries(address.ConnectTimeout);
        var host = Build(address, retries, logs ?? Terminal.FromConsole().Human(json: true));
        // The retries stop at the deadline; this is the backstop for an attempt that hangs.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(address.ConnectTimeout + TimeSpan.FromSeconds(2));
        try
        {
            await host.StartAsync(timeout.Token);
            return new ClusterConnection(host, address);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            await StopAsync(host);
            var failures = retries.Failures.Count > 0 ? retries.Failures : [ex];
            var reason = failures[^1] is OperationCanceledException
                ? string.Create(CultureInfo.InvariantCulture, $"no answer within {address.ConnectTimeout.TotalSeconds:0.#} s")
                : await UnreachableGatewaysAsync(address.Gateways) ?? Reason(failures);
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

    /// <summary>
    /// Orleans words a refused gateway differently from attempt to attempt; a plain connection to each
    /// gateway says it the same way every time. Null when every gateway accepts a connection.
    /// </summary>
    private static async Task<string?> UnreachableGatewaysAsync(IReadOnlyList<IPEndPoint> gateways)
    {
        var problems = new List<string>();
        foreach (var gateway in gateways)
        {
            using var probe = new System.Net.Sockets.TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await probe.ConnectAsync(gateway, timeout.Token);
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                problems.Add($"{gateway} {ex.Message.ToLowerInvariant()}");
            }
            catch (OperationCanceledException)
            {
                problems.Add($"{gateway} does not answer");
            }
        }

        return problems.Count > 0 ? string.Join("; ", problems) : null;
    }

    /// <summary>
    /// What went wrong in the user's words: a socket's error when an attempt met one (later attempts
    /// only say the gateway is marked dead), else the last attempt's, without Orleans' "will retry".
    /// </summary>
    private static string Reason(IReadOnlyList<Exception> failures)
    {
        var chains = failures.Select(f =>
        {
            var chain = new List<Exception>();
            for (var e = f; e is not null; e = e.InnerException)
            {
                chain.Add(e);
            }

            return chain;
        }).ToList();
        if (chains.SelectMany(c => c).OfType<System.Net.Sockets.SocketException>().FirstOrDefault() is { } socket)
        {
            return socket.Message.ToLowerInvariant();
        }

        var message = chains[^1][^1].Message;
        var retry = message.IndexOf(", will retry", StringComparison.Ordinal);
        return (retry > 0 ? message[..retry] : message).TrimEnd('.');
    }

    private static IHost Build(ClusterAddress address, ConnectRetries retries, IAnsiConsole logs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Logging.ForCommandLine(logs);

        // A gateway that cannot be reached is said once, by the command, not by every retry.
        builder.Logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Messaging", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Runtime.GatewayManager", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Runtime.OutsideRuntimeClient", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = address.ClusterId;
                o.ServiceId = address.ClusterId;
            });
            client.Configure<ConnectionOptions>(o => o.OpenConnectionTimeout = address.ConnectTimeout);
            client.Services.AddSingleton<IClientConnectionRetryFilter>(retries);
            if (address.StorageConnection is { } connection)
            {
                client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connection));
            }
            else
            {
                client.UseStaticClustering([.. address.Gateways]);
            }

            if (address.Tls is { } tls)
            {
                var certificate = tls.LoadCertificate();
                var authority = tls.LoadAuthority();
                client.UseTls(certificate, o => ClusterTls.Configure(o, certificate, authority));
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

    /// <summary>Tries again until the deadline (a silo may be starting), and keeps the last reason for the message.</summary>
    private sealed class ConnectRetries(TimeSpan timeout) : IClientConnectionRetryFilter
    {
        private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);
        private readonly DateTimeOffset deadline = DateTimeOffset.UtcNow + timeout;

        public List<Exception> Failures { get; } = [];

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            Failures.Add(exception);
            if (DateTimeOffset.UtcNow + Pause >= deadline)
            {
                return false;
            }

            await Task.Delay(Pause, cancellationToken);
            return true;
        }
    }
}
