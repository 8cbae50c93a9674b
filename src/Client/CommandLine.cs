using System.CommandLine;
using UNetPP.Cluster.Cli;
using UNetPP.Cluster.Client.Commands;

namespace UNetPP.Cluster.Client;

/// <summary>The <c>unetpp</c> command line: parses, runs one command, and turns failures into exit codes.</summary>
internal static class CommandLine
{
    public static Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken cancellationToken = default)
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
            new ApiKeyCommand(terminal),
        };

        return CommandRunner.RunAsync(root, "unetpp", args, terminal, ex => ex is ClusterUnavailableException, cancellationToken);
    }
}
