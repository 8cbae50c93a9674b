using System.CommandLine;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp watch &lt;job&gt;</c>: follows a job on a running cluster to its end; exits as <c>segment</c> would.</summary>
internal sealed class WatchCommand : Command
{
    private readonly ClusterConnectionOptions cluster = new();
    private readonly Argument<string> job = new("job") { Description = "The job id that submit printed." };
    private readonly Option<bool> json = new("--json") { Description = "Print the final status as JSON on stdout; progress goes to stderr." };

    public WatchCommand(Terminal terminal)
        : base("watch", "Follow a job on a running cluster until it finishes.")
    {
        Arguments.Add(job);
        Options.Add(json);
        cluster.AddTo(this);
        SetAction((parse, ct) => RunAsync(parse, terminal, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var jobId = parse.GetRequiredValue(job);
        var asJson = parse.GetValue(json);
        await using var connection = await cluster.ConnectAsync(parse, JobProgressView.Logs(terminal, asJson), cancellationToken);
        StatusCommand.RequireKnown(await connection.Client.GetStatusAsync(jobId), connection.Address);
        return await FollowAsync(connection.Client, jobId, terminal, asJson, cancellationToken);
    }

    /// <summary>
    /// Shows the job's progress to its end, sums it up, and returns the exit code its outcome calls for.
    /// Ctrl-C stops the watching only: the job goes on in the cluster.
    /// </summary>
    public static async Task<int> FollowAsync(SegmentationClient client, string jobId, Terminal terminal, bool asJson, CancellationToken cancellationToken)
    {
        var view = new JobProgressView(terminal.Human(asJson), terminal.Interactive && !asJson);
        JobStatus status;
        try
        {
            status = await view.WatchAsync(client, jobId, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await terminal.Error.WriteLineAsync(
                $"Stopped watching job {jobId}; it goes on in the cluster. Follow it again with 'unetpp watch {jobId}', or stop it with 'unetpp cancel {jobId}'.");
            throw;
        }

        view.Summarise(status, ReadLocalReport(status.Spec?.Output));
        if (asJson)
        {
            await terminal.Output.WriteLineAsync(StatusCommand.ToJson(status));
        }

        return JobProgressView.ExitCode(status);
    }

    /// <summary>The report, when the output is a folder this machine sees; for blob outputs the summary says where it is.</summary>
    private static JobReport? ReadLocalReport(string? output)
    {
        if (output is null || output.Contains("://", StringComparison.Ordinal))
        {
            return null;
        }

        var path = Path.Combine(output, JobReport.FileName);
        return File.Exists(path) ? JobReport.FromJson(File.ReadAllText(path)) : null;
    }
}
