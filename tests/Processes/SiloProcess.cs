using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace UNetPP.Cluster.Processes;

/// <summary>
/// One real silo process (<c>unetpp-silo</c> unless told otherwise) with Azure Storage clustering, on
/// free loopback ports, its output kept (in memory and in a log file) for failure messages and, as log
/// records, for tests to assert on. Dispose always kills it, and so does this program's exit.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StreamWriter _log;

    private SiloProcess(string name, int siloPort, int gatewayPort, int httpPort, string logPath, Process process, StreamWriter log)
    {
        Name = name;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        HttpPort = httpPort;
        LogPath = logPath;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int HttpPort { get; }

    /// <summary>How the cluster names this silo (<c>JobStatus.Coordinator</c>, <c>ImagesBySilo</c>, worker ids).</summary>
    public string Endpoint => $"127.0.0.1:{SiloPort}";

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// The silo's resident memory now, its high-water mark and what the resident part is made of, in bytes,
    /// and its threads, as the kernel counts them (<c>/proc/PID/status</c>).
    /// </summary>
    public SiloMemory Memory()
    {
        var status = File.ReadAllLines($"/proc/{_process.Id}/status");
        long Field(string name) => long.Parse(status.Single(l => l.StartsWith(name, StringComparison.Ordinal)).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return new SiloMemory(Field("VmRSS:") * 1024, Field("VmHWM:") * 1024, Field("RssAnon:") * 1024, Field("RssFile:") * 1024, Field("RssShmem:") * 1024, (int)Field("Threads:"));
    }

    /// <summary>The CPU time the silo has used so far, on every core, user and system together.</summary>
    public TimeSpan ProcessorTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>
    /// Starts a silo and waits until its /readyz says ready (joined, model open, storage answering) and its gateway accepts connections.
    /// <paramref name="settings"/> (environment variable names, <c>Inference__Threads</c>) are added to
    /// the cluster and address settings; anything else is the silo's default. With <paramref name="core"/>
    /// the silo and every thread it starts run on that one core only (<c>taskset</c>), and .NET sizes itself for one core.
    /// <paramref name="program"/> is the built silo to run (<see cref="RepoPaths.FaultySiloDll"/>, say); <see cref="RepoPaths.SiloDll"/> when null.
    /// HTTP is served on <paramref name="httpHost"/> (every address with <c>0.0.0.0</c>) and asked on loopback.
    /// </summary>
    public static async Task<SiloProcess> StartAsync(
        string name, string clusterId, string storageConnection, string logFolder, IReadOnlyDictionary<string, string> settings, int? core, CancellationToken cancellationToken,
        string? program = null, string httpHost = "127.0.0.1")
    {
        TestTier.StartingProcess($"a unetpp-silo process ({name})");
        for (var attempt = 1; ; attempt++)
        {
            var ports = FreePorts.Take(3);
            var silo = Launch(program ?? RepoPaths.SiloDll, name, clusterId, storageConnection, ports[0], ports[1], ports[2], httpHost, logFolder, settings, core);
            try
            {
                await silo.WaitUntilReadyAsync(cancellationToken);
                return silo;
            }
            catch (InvalidOperationException) when (attempt < 3 && silo.Tail(200).Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // Another process took a port between the probe and the bind; try new ones.
                await silo.DisposeAsync();
            }
            catch
            {
                await silo.DisposeAsync();
                throw;
            }
        }
    }

    private static SiloProcess Launch(
        string program, string name, string clusterId, string storageConnection, int siloPort, int gatewayPort, int httpPort, string httpHost, string logFolder,
        IReadOnlyDictionary<string, string> settings, int? core)
    {
        var start = new ProcessStartInfo(core is null ? RepoPaths.DotnetHost : "taskset")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(program)!,
        };
        if (core is { } pinned)
        {
            start.ArgumentList.Add("--cpu-list");
            start.ArgumentList.Add(pinned.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add(RepoPaths.DotnetHost);
        }

        start.ArgumentList.Add(program);
        var environment = new Dictionary<string, string>
        {
            ["Cluster__Clustering"] = "AzureStorage",
            ["Cluster__StorageConnection"] = storageConnection,
            ["Cluster__Id"] = clusterId,
            ["Cluster__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Cluster__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Cluster__AdvertisedAddress"] = "127.0.0.1",
            ["ASPNETCORE_URLS"] = $"http://{httpHost}:{httpPort}",
            ["Inference__Devices"] = "cpu",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Orleans"] = "Warning",
            ["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__LogLevel__Polly"] = "Warning",
            // One JSON object a line: tests read events by id and field (LogEvents), failure messages show them as lines (Tail).
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        if (core is not null)
        {
            environment["DOTNET_PROCESSOR_COUNT"] = "1";
        }

        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        Directory.CreateDirectory(logFolder);
        var logPath = Path.Combine(logFolder, $"{name}.log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        var silo = new SiloProcess(name, siloPort, gatewayPort, httpPort, logPath, process, log);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        silo.Append($"--- starting {name}: silo port {siloPort}, gateway {gatewayPort}, http {httpPort}, cluster {clusterId}");
        process.Start();
        AppDomain.CurrentDomain.ProcessExit += silo.KillOnExit;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        var ready = false;
        while (true)
        {
            if (_process.HasExited)
            {
                // The exit can be seen before its last lines are read; this wait lets them arrive.
                await _process.WaitForExitAsync(cancellationToken);
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting.\n{Tail(60)}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{Name} was not ready (/readyz and gateway {GatewayPort}) within {StartTimeout.TotalSeconds} s.\n{Tail(60)}");
            }

            if (!ready)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/readyz"), cancellationToken);
                    ready = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // A slow first answer; ask again.
                }
            }

            if (ready && await FreePorts.AcceptsAsync(GatewayPort, cancellationToken))
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>SIGKILL, the whole process tree: the silo gets no chance to leave the cluster or hand work back.</summary>
    public void Kill()
    {
        Append($"--- SIGKILL {Name}");
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.WaitForExit(10_000);
    }

    /// <summary>
    /// SIGSTOP: the silo freezes where it is, as in a long GC pause or on a starved host; its leases and
    /// membership probes lapse while it still believes it holds them. <see cref="ResumeAsync"/> lets it run on.
    /// </summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: a silo that <see cref="PauseAsync"/> froze runs on from where it stopped.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>SIGTERM (a graceful shutdown), then a kill if it has not exited within <paramref name="grace"/>. Returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            await SignalAsync("TERM");

            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Append($"--- {Name} did not exit within {grace.TotalSeconds} s of SIGTERM; killing it");
                Kill();
            }
        }

        return _process.ExitCode;
    }

    private async Task SignalAsync(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        Append($"--- SIG{signal} {Name}");
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>The last <paramref name="lines"/> lines the silo wrote, its log records as plain lines.</summary>
    public string Tail(int lines)
    {
        lock (_lines)
        {
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"===== {Name} ({Endpoint}), log {LogPath}, last {Math.Min(lines, _lines.Count)} of {_lines.Count} lines =====");
            foreach (var line in _lines.Skip(Math.Max(0, _lines.Count - lines)))
            {
                text.AppendLine(LogEvent.Parse(line)?.ToString() ?? line);
            }

            return text.ToString();
        }
    }

    /// <summary>Every record the silo has logged so far, in order.</summary>
    public IReadOnlyList<LogEvent> LogEvents()
    {
        lock (_lines)
        {
            return [.. _lines.Select(LogEvent.Parse).OfType<LogEvent>()];
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
            _process.Dispose();
            lock (_lines)
            {
                _log.Dispose();
            }
        }
    }

    // Last resort if this program exits without disposing the silo (Ctrl-C, a test host that stops): never leave one behind.
    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after the silo was disposed.
            }
        }
    }
}
