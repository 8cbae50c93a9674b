using System.CommandLine;
using UNetPP.Cluster.Segmentation;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Cli;

/// <summary>Runs a program's command line: parses, runs one command, and turns failures into exit codes and one line each.</summary>
public static class CommandRunner
{
    /// <param name="root">The program's root command.</param>
    /// <param name="program">The program's name, for the pointer to its help.</param>
    /// <param name="args">The arguments as given.</param>
    /// <param name="terminal">Where to write.</param>
    /// <param name="isUserError">The program's own failures that the user can fix from their message, beside the common ones.</param>
    /// <param name="cancellationToken">Ctrl-C or SIGTERM (<see cref="Interrupts"/>).</param>
    public static async Task<int> RunAsync(
        Command root, string program, string[] args, Terminal terminal, Func<Exception, bool>? isUserError = null, CancellationToken cancellationToken = default)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var line in ParseErrors.Describe(parsed, program))
            {
                await terminal.Error.WriteLineAsync($"error: {line}");
            }

            await terminal.Error.WriteLineAsync($"Run '{program} --help' for usage.");
            return ExitCodes.UsageError;
        }

        var invocation = new InvocationConfiguration
        {
            Output = terminal.Output,
            Error = terminal.Error,
            EnableDefaultExceptionHandler = false,

            // Interrupts owns the signals: System.CommandLine's own handling would return 130 after a
            // fixed grace while the command is still cleaning up, and would not print "interrupted.".
            ProcessTerminationTimeout = null,
        };

        try
        {
            return await parsed.InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception ex) when (IsUserError(ex) || isUserError?.Invoke(ex) == true)
        {
            await terminal.Error.WriteLineAsync($"error: {OptionValue.Reason(ex)}");
            return ExitCodes.UsageError;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C or SIGTERM, once the command has stopped: what it finished stays.
            await terminal.Error.WriteLineAsync("interrupted.");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>Failures the user can fix from what the message says, as opposed to bugs.</summary>
    private static bool IsUserError(Exception ex) =>
        ex is UsageException or ModelException or FormatException or ArgumentException
            or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
            or InvalidDataException or ImageRejectedException;
}
