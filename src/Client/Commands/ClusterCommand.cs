using System.CommandLine;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp cluster</c>: the device workers of a running cluster, what each holds, how fast it goes and how old that news is.</summary>
internal sealed class ClusterCommand : Command
{
    private readonly ClusterConnectionOptions cluster = new();
    private readonly Option<bool> json = new("--json") { Description = "Print the workers as a JSON array on stdout, each with when it last reported and whether it still answers." };

    public ClusterCommand(Terminal terminal)
        : base("cluster", "Show the device workers of a running cluster.")
    {
        Options.Add(json);
        cluster.AddTo(this);
        SetAction((parse, ct) => RunAsync(parse, terminal, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        await using var connection = await cluster.ConnectAsync(parse, cancellationToken);
        var workers = await connection.Client.GetWorkersAsync();
        if (parse.GetValue(json))
        {
            await terminal.Output.WriteLineAsync(WorkerTable.ToJson(workers));
            return ExitCodes.Success;
        }

        if (workers.Count == 0)
        {
            // Workers report every few seconds; a silo that has just started may not have yet.
            await terminal.Output.WriteLineAsync($"No device workers have reported in {connection.Address.Describe()} yet.");
            return ExitCodes.Success;
        }

        foreach (var line in WorkerTable.Lines(workers))
        {
            await terminal.Output.WriteLineAsync(line);
        }

        return ExitCodes.Success;
    }
}
