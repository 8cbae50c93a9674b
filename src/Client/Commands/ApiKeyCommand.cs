using System.CommandLine;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp api-key</c>: keys for the silos' HTTP job API.</summary>
internal sealed class ApiKeyCommand : Command
{
    public ApiKeyCommand(Terminal terminal)
        : base("api-key", "Make keys for the silos' HTTP job API (docs/api-access.md).")
    {
        Subcommands.Add(new ApiKeyNewCommand(terminal));
    }
}
