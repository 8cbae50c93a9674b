using System.CommandLine;
using System.Text.Json.Nodes;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp cluster</c>: the device workers of a running cluster, what each holds and how fast it goes.</summary>
internal sealed class ClusterCommand : Command
{
    private readonly ClusterConnectionOptions cluster = new();
    private readonly Option<bool> json = new("--json") { Description = "Print the workers as a JSON array on stdout." };

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
            var array = new JsonArray([.. workers.Select(w => (JsonNode)new JsonObject
            {
                ["workerId"] = w.WorkerId,
                ["silo"] = w.Silo,
                ["device"] = w.Device,
                ["shards"] = new JsonArray([.. w.Shards.Select(s => (JsonNode?)JsonValue.Create(s))]),
                ["imagesDone"] = w.ImagesDone,
                ["tilesDone"] = w.TilesDone,
                ["tilesPerSecond"] = w.TilesPerSecond,
                ["at"] = w.At,
            })]);
            await terminal.Output.WriteLineAsync(array.ToJsonString(StatusCommand.Indented));
            return ExitCodes.Success;
        }

        if (workers.Count == 0)
        {
            // Workers report every few seconds; a silo that has just started may not have yet.
            await terminal.Output.WriteLineAsync($"No device workers have reported in {connection.Address.Describe()} yet.");
            return ExitCodes.Success;
        }

        var siloWidth = Math.Max(4, workers.Max(w => w.Silo.Length));
        await terminal.Output.WriteLineAsync($"{"Silo".PadRight(siloWidth)}  {"Device",-8}  {"Shards",6}  {"Images",8}  {"Tiles/s",8}");
        foreach (var worker in workers)
        {
            await terminal.Output.WriteLineAsync(StatusCommand.Invariant(
                $"{worker.Silo.PadRight(siloWidth)}  {worker.Device,-8}  {worker.Shards.Count,6}  {worker.ImagesDone,8}  {worker.TilesPerSecond,8:F1}"));
        }

        var silos = workers.Select(w => w.Silo).Distinct(StringComparer.Ordinal).Count();
        await terminal.Output.WriteLineAsync(StatusCommand.Invariant($"{workers.Count} worker(s) on {silos} silo(s)."));
        return ExitCodes.Success;
    }
}
