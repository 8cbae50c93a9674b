using System.CommandLine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Training.CommandLine;

/// <summary>The <c>unetpp-train</c> command line: parses, trains, and turns failures into exit codes.</summary>
internal static class TrainCommandLine
{
    public static async Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken cancellationToken = default)
    {
        var parsed = new TrainCommand(terminal).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await terminal.Error.WriteLineAsync($"error: {error.Message}");
            }

            await terminal.Error.WriteLineAsync("Run 'unetpp-train --help' for usage.");
            return ExitCodes.UsageError;
        }

        var invocation = new InvocationConfiguration
        {
            Output = terminal.Output,
            Error = terminal.Error,
            EnableDefaultExceptionHandler = false,
        };

        try
        {
            return await parsed.InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception ex) when (IsUserError(ex))
        {
            await terminal.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.UsageError;
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: log.csv and the best weights so far stay on disk; model.onnx is only written after the last epoch.
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
