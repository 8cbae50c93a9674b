using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace UNetPP.Cluster.Processes;

/// <summary>
/// A real Azurite (blob, queue and table) on free loopback ports, stopped with its whole process tree
/// on dispose, and killed if this program exits first. The tests wrap it in an xunit fixture
/// (<c>tests/TestSupport/AzuriteFixture.cs</c>); the benchmark uses it as it is.
/// </summary>
/// <remarks>
/// Azurite comes from <c>UNETPP_AZURITE</c> or <c>.tools/azurite</c> at the repository root, where
/// <c>./test.sh</c> installs it. A missing Azurite is an error, never a reason to skip, so a green test
/// run always means the blob code really ran against the blob protocol.
/// </remarks>
public class AzuriteProcess : IAsyncDisposable
{
    public const string AccountName = "devstoreaccount1";

    /// <summary>The emulator's well-known, public development key (not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private static readonly string[] Services = ["Blob", "Queue", "Table"];

    private readonly bool _keepDataOnRestart;
    private readonly StringBuilder _output = new();

    /// <summary>The services whose "successfully closed" line Azurite has printed since it last started.</summary>
    private readonly HashSet<string> _closedServices = new(StringComparer.Ordinal);
    private string? _workFolder;
    private Process? _process;
    private TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="keepDataOnRestart">
    /// Store data in a temporary folder instead of memory, so <see cref="StopAsync"/> then
    /// <see cref="StartAsync"/> (an outage) keeps the blobs, tables and queues.
    /// </param>
    public AzuriteProcess(bool keepDataOnRestart = false)
    {
        _keepDataOnRestart = keepDataOnRestart;
    }

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The folder Azurite keeps its data in (every blob, table and queue); null when it keeps them in memory.</summary>
    public string? DataFolder => _keepDataOnRestart ? _workFolder : null;

    public Uri BlobEndpoint => new($"http://127.0.0.1:{BlobPort}/{AccountName}");

    public string ConnectionString => ConnectionStringFor(BlobPort);

    /// <summary>A connection string whose blob endpoint is another port (a proxy in front of Azurite, say).</summary>
    public string ConnectionStringFor(int blobPort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_workFolder is not null && Directory.Exists(_workFolder))
        {
            Directory.Delete(_workFolder, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Starts Azurite; the first start picks free ports, later starts reuse them so clients keep working.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        TestTier.StartingProcess("Azurite");
        _workFolder ??= Directory.CreateTempSubdirectory("unetpp-azurite-").FullName;
        var firstStart = BlobPort == 0;
        for (var attempt = 1; ; attempt++)
        {
            if (firstStart)
            {
                var ports = FreePorts.Take(3);
                (BlobPort, QueuePort, TablePort) = (ports[0], ports[1], ports[2]);
            }

            try
            {
                await LaunchAsync();
                return;
            }
            catch (InvalidOperationException) when (firstStart && attempt < 3 && Output().Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                // Another process took a port between our probe and Azurite's bind; pick new ones.
            }
        }
    }

    /// <summary>Stops Azurite: SIGTERM for a clean shutdown, then kills what is left of its process tree.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        try
        {
            if (!process.HasExited)
            {
                // Azurite shuts down cleanly on SIGTERM as on SIGINT; SIGTERM is used because a process
                // started from a non-interactive shell's background job inherits SIGINT as ignored.
                using (var interrupt = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await interrupt.WaitForExitAsync();
                }

                // Azurite saves its data while closing its services, then may idle for minutes on timers
                // before the process exits; once every service says it closed, the kill below loses nothing.
                using var grace = new CancellationTokenSource(StopGrace);
                try
                {
                    await Task.WhenAny(process.WaitForExitAsync(grace.Token), _closed.Task).WaitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    // It did not stop in time; the kill below ends it.
                }
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Finds Azurite: <c>UNETPP_AZURITE</c>, else <c>.tools/azurite</c> under the repository root.</summary>
    public static string FindAzurite()
    {
        var configured = Environment.GetEnvironmentVariable("UNETPP_AZURITE");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"UNETPP_AZURITE points at '{configured}', which does not exist. Run ./test.sh, which installs Azurite there.");
        }

        var local = Path.Combine(RepoPaths.Root, ".tools", "azurite", "node_modules", ".bin", "azurite");
        return File.Exists(local)
            ? local
            : throw new InvalidOperationException(
                $"Azurite is not installed at '{local}'. Run ./test.sh (it installs it), or " +
                "`npm install --prefix .tools/azurite azurite@3.37.0`, or set UNETPP_AZURITE to an azurite executable.");
    }

    private async Task LaunchAsync()
    {
        lock (_output)
        {
            _output.Clear();
            _closedServices.Clear();
            _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var start = new ProcessStartInfo(FindAzurite())
        {
            WorkingDirectory = _workFolder,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in Arguments())
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;

        var deadline = DateTime.UtcNow + StartTimeout;
        foreach (var port in new[] { BlobPort, QueuePort, TablePort })
        {
            while (!await FreePorts.AcceptsAsync(port, CancellationToken.None))
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    var why = process.HasExited ? $"exited with code {process.ExitCode}" : $"did not listen on port {port} within {StartTimeout.TotalSeconds} s";
                    await StopAsync();
                    throw new InvalidOperationException($"Azurite ({start.FileName}) {why}. Its output:\n{Output()}");
                }

                await Task.Delay(50);
            }
        }
    }

    private IEnumerable<string> Arguments()
    {
        string[] common =
        [
            "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(CultureInfo.InvariantCulture),
            "--loose", "--skipApiVersionCheck", "--disableProductStyleUrl",
        ];
        return _keepDataOnRestart
            ? [.. common, "--location", _workFolder!]
            : [.. common, "--inMemoryPersistence", "--extentMemoryLimit", "256"];
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);

                // Each line is read alone: searching the whole output again at every line cost a campaign of hours
                // gigabytes a second of copies, as Azurite's output grew, and slowed the silos beside it.
                _closedServices.UnionWith(Services.Where(s => line.Contains($"Azurite {s} service successfully closed", StringComparison.Ordinal)));
                if (_closedServices.Count == Services.Length)
                {
                    _closed.TrySetResult();
                }
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    // Last resort if this program exits without disposing it: never leave an Azurite behind.
    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            _process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
