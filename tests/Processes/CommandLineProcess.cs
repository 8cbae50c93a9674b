using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace UNetPP.Cluster.Processes;

/// <summary>
/// The <c>unetpp</c> (or <c>unetpp-train</c>) command line as a real process (the built program on the same <c>dotnet</c>), its
/// stdout and stderr kept, and signals sent to it as a terminal's Ctrl-C or a <c>kill</c> would. Dispose
/// kills it if it is still running, and so does this program's exit.
/// </summary>
public sealed class CommandLineProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private CommandLineProcess(Process process)
    {
        _process = process;
    }

    /// <summary>What it has written to stdout so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>What it has written to stderr so far.</summary>
    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <c>unetpp</c> (or the built <paramref name="program"/>, <see cref="RepoPaths.TrainDll"/> say) with <paramref name="arguments"/>;
    /// <paramref name="environment"/> is added to this process's own.
    /// </summary>
    public static CommandLineProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? program = null)
    {
        program ??= RepoPaths.ClientDll;
        TestTier.StartingProcess($"the command line {Path.GetFileNameWithoutExtension(program)}");
        // Through env, which execs the program with Ctrl-C live: a test run started in the background of
        // a script ignores SIGINT, and its children would inherit that, as no program in a terminal does.
        var start = new ProcessStartInfo("env")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(RepoPaths.DotnetHost);
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var command = new CommandLineProcess(process);
        process.OutputDataReceived += (_, e) => Append(command._output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(command._error, e.Data);
        process.Start();
        AppDomain.CurrentDomain.ProcessExit += command.KillOnExit;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return command;
    }

    /// <summary>Sends a signal by name (<c>INT</c> as Ctrl-C does, <c>TERM</c> as <c>kill</c> does).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed (exit {kill.ExitCode}); the program has exited: {_process.HasExited}.");
        }
    }

    /// <summary>Waits until stdout or stderr holds <paramref name="text"/>, or the program exits first (then it says so with what it wrote).</summary>
    public async Task WaitForTextAsync(string text, CancellationToken cancellationToken)
    {
        while (!Output.Contains(text, StringComparison.Ordinal) && !Error.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"unetpp exited ({_process.ExitCode}) before writing '{text}'.\n{Describe()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Waits for it to exit, and returns its exit code, after its last output has been read.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>Its output, for failure messages.</summary>
    public string Describe() => $"--- stdout\n{Output}--- stderr\n{Error}";

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
            // Already gone.
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
            _process.Dispose();
        }
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
        {
            lock (text)
            {
                text.AppendLine(line);
            }
        }
    }

    // Last resort if this program exits without disposing it: never leave one behind.
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
}
