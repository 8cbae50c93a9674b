using UNetPP.Cluster.Cli;

namespace UNetPP.Cluster.Training.CommandLine;

/// <summary>The <c>unetpp-train</c> command line: parses, trains, and turns failures into exit codes.</summary>
internal static class TrainCommandLine
{
    public static Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken cancellationToken = default) =>
        CommandRunner.RunAsync(new TrainCommand(terminal), "unetpp-train", args, terminal, cancellationToken: cancellationToken);
}
