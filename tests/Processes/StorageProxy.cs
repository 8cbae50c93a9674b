using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace UNetPP.Cluster.Processes;

/// <summary>
/// A loopback TCP proxy in front of Azurite's blob and table endpoints, for silos to reach their storage
/// through: it can cut storage off for a while (every open connection reset, every new one reset as it
/// arrives), and make it slow and flaky (each chunk delayed, some connections reset mid-transfer).
/// Whole connections fail, as a network or a load balancer fails them; the bytes that pass are never changed.
/// </summary>
public sealed class StorageProxy : IAsyncDisposable
{
    private readonly AzuriteProcess _azurite;
    private readonly TcpListener _blob = new(IPAddress.Loopback, 0);
    private readonly TcpListener _table = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<Relay, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _accepting;
    private readonly object _gate = new();
    private DateTime _cutOffUntil = DateTime.MinValue;
    private DateTime _slowUntil = DateTime.MinValue;
    private TimeSpan _latency;
    private double _resetChance;
    private Random _random = new(0);
    private int _resets;

    public StorageProxy(AzuriteProcess azurite)
    {
        _azurite = azurite;
        _blob.Start();
        _table.Start();
        _accepting = [AcceptAsync(_blob, () => _azurite.BlobPort), AcceptAsync(_table, () => _azurite.TablePort)];
    }

    /// <summary>Azurite's connection string with its blob and table endpoints on this proxy: what the silos are given.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.AccountName};AccountKey={AzuriteProcess.AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{Port(_blob)}/{AzuriteProcess.AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{_azurite.QueuePort}/{AzuriteProcess.AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{Port(_table)}/{AzuriteProcess.AccountName};";

    /// <summary>The emulator account's blob endpoint on this proxy, for a location a job reaches through it.</summary>
    public Uri BlobEndpoint => new($"http://127.0.0.1:{Port(_blob)}/{AzuriteProcess.AccountName}");

    /// <summary>Connections this proxy reset on purpose so far, by outages and by slow storage's flakiness together.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Storage is gone for <paramref name="duration"/>: every open connection is reset now, and every new one as it arrives, until then.</summary>
    public void CutOff(TimeSpan duration)
    {
        lock (_gate)
        {
            _cutOffUntil = DateTime.UtcNow + duration;
        }

        foreach (var relay in _open.Keys)
        {
            Reset(relay, deliberate: true);
        }
    }

    /// <summary>
    /// For <paramref name="duration"/>, every chunk either way waits <paramref name="latency"/> first, and
    /// each chunk resets its connection with probability <paramref name="resetChance"/>, drawn from <paramref name="seed"/>.
    /// </summary>
    public void SlowDown(TimeSpan latency, double resetChance, TimeSpan duration, int seed)
    {
        lock (_gate)
        {
            _random = new Random(seed);
            _latency = latency;
            _resetChance = resetChance;
            _slowUntil = DateTime.UtcNow + duration;
        }
    }

    /// <summary>Ends any outage or slowness now.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _cutOffUntil = DateTime.MinValue;
            _slowUntil = DateTime.MinValue;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _blob.Stop();
        _table.Stop();
        foreach (var relay in _open.Keys)
        {
            Reset(relay, deliberate: false);
        }

        await Task.WhenAll(_accepting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private bool IsCutOff
    {
        get
        {
            lock (_gate)
            {
                return DateTime.UtcNow < _cutOffUntil;
            }
        }
    }

    /// <summary>What a chunk meets now: how long it waits, and whether it resets its connection instead of passing.</summary>
    private (TimeSpan Delay, bool Reset) NextChunk()
    {
        lock (_gate)
        {
            if (DateTime.UtcNow >= _slowUntil)
            {
                return (TimeSpan.Zero, false);
            }

            return (_latency, _random.NextDouble() < _resetChance);
        }
    }

    private async Task AcceptAsync(TcpListener listener, Func<int> target)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var relay = new Relay(client, new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            if (IsCutOff)
            {
                Reset(relay, deliberate: true);
                continue;
            }

            _open[relay] = 0;
            _ = RelayAsync(relay, target());
        }
    }

    private async Task RelayAsync(Relay relay, int targetPort)
    {
        try
        {
            await relay.Upstream.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
            await Task.WhenAny(PumpAsync(relay, relay.Client, relay.Upstream), PumpAsync(relay, relay.Upstream, relay.Client));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side closing, or a reset, ends the relay.
        }
        finally
        {
            _open.TryRemove(relay, out _);
            relay.Client.Dispose();
            relay.Upstream.Dispose();
        }
    }

    private async Task PumpAsync(Relay relay, Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var (delay, reset) = NextChunk();
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _stop.Token);
                }

                if (reset || IsCutOff)
                {
                    Reset(relay, deliberate: true);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The other pump, a reset or the proxy's end closed a socket under this one.
            Reset(relay, deliberate: false);
        }
    }

    /// <summary>Closes both ends with RST (linger 0), as a dropped network path does, not with a polite FIN.</summary>
    private void Reset(Relay relay, bool deliberate)
    {
        if (!relay.Close())
        {
            return;
        }

        if (deliberate)
        {
            Interlocked.Increment(ref _resets);
        }

        foreach (var socket in new[] { relay.Client, relay.Upstream })
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }
        }
    }

    /// <summary>One connection through the proxy: the silo's end and Azurite's.</summary>
    private sealed class Relay(Socket client, Socket upstream)
    {
        private int _closed;

        public Socket Client { get; } = client;

        public Socket Upstream { get; } = upstream;

        /// <summary>True the first time only: one reset per connection.</summary>
        public bool Close() => Interlocked.Exchange(ref _closed, 1) == 0;
    }
}
