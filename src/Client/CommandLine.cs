using System.CommandLine;
using UNetPP.Cluster.Client.Commands;

namespace UNetPP.Cluster.Client;

/// <summary>The <c>unetpp</c> command line: parses, runs one command, and turns failures into exit codes.</summary>
internal static class CommandLine
{
    public static async Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("UNetPP.Cluster: segment whole datasets of images with UNet++ (unetpp-train trains the models).")
        {
            new SegmentCommand(terminal),
            new SubmitCommand(terminal),
            new StatusCommand(terminal),
            new WatchCommand(terminal),
            new ListCommand(terminal),
            new CancelCommand(terminal),
            new ClusterCommand(terminal),
            ModelCommand.Create(terminal),
            new NucleiCommand(terminal),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await terminal.Error.WriteLineAsync($"error: {error.Message}");
            }

            await terminal.Error.WriteLineAsync("Run 'unetpp --help' for usage.");
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
            // Ctrl-C: a job on a running cluster goes on (unetpp cancel stops it); an embedded one stops with this process.
            await terminal.Error.WriteLineAsync("interrupted.");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>Failures the user can fix from what the message says, as opposed to bugs.</summary>
    private static bool IsUserError(Exception ex) =>
        ex is UsageException or ClusterUnavailableException or Segmentation.Model.ModelException or FormatException or ArgumentException
            or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
            or InvalidDataException or Segmentation.Imaging.ImageRejectedException;
}
