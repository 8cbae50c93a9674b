using System.CommandLine;
using System.Text.Json;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp list</c>: every job the cluster knows, newest first, with its state, priority and counts.</summary>
internal sealed class ListCommand : Command
{
    private readonly ClusterConnectionOptions cluster = new();
    private readonly Option<bool> json = new("--json") { Description = "Print the jobs as a JSON array on stdout." };

    public ListCommand(Terminal terminal)
        : base("list", "List the jobs of a running cluster.")
    {
        Options.Add(json);
        cluster.AddTo(this);
        SetAction((parse, ct) => RunAsync(parse, terminal, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        await using var connection = await cluster.ConnectAsync(parse, cancellationToken);
        var jobs = await connection.Client.ListStatusesAsync();
        if (parse.GetValue(json))
        {
            var views = jobs.Select(job => JobView.Of(job.Status, job.Entry.Submitted)).ToList();
            await terminal.Output.WriteLineAsync(JsonSerializer.Serialize(views, StatusCommand.Indented));
            return ExitCodes.Success;
        }

        if (jobs.Count == 0)
        {
            await terminal.Output.WriteLineAsync($"No jobs in {connection.Address.Describe()}.");
            return ExitCodes.Success;
        }

        var width = Math.Max(3, jobs.Max(j => j.Entry.JobId.Length));
        await terminal.Output.WriteLineAsync($"{"Job".PadRight(width)}  {"State",-21}  {"Priority",-8}  {"Done",7}  {"Failed",6}  {"Total",7}  Submitted");
        foreach (var (entry, status) in jobs)
        {
            await terminal.Output.WriteLineAsync(StatusCommand.Invariant(
                $"{entry.JobId.PadRight(width)}  {status.State,-21}  {JobPriority.Name(entry.Priority),-8}  {status.Done,7}  {status.Failed,6}  {status.Total,7}  {entry.Submitted:u}"));
        }

        return ExitCodes.Success;
    }
}
