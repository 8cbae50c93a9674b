using System.CommandLine;
using System.Text.Json.Nodes;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp submit</c>: hands a job to a running cluster and prints its id; with <c>--wait</c> it
/// follows the job to its end and exits as <c>segment</c> would.
/// </summary>
internal sealed class SubmitCommand : Command
{
    private readonly JobSpecOptions job = new();
    private readonly ClusterConnectionOptions cluster = new();
    private readonly Option<string?> id = new("--id") { Description = JobRequest.Describe(nameof(JobRequest.Id)) };
    private readonly Option<string> priority = new("--priority")
    {
        Description = $"{JobRequest.Describe(nameof(JobRequest.Priority))} Submit only: segment runs its one job alone.",
        DefaultValueFactory = _ => JobRequest.Defaults.Priority,
    };
    private readonly Option<bool> wait = new("--wait") { Description = "Follow the job until it finishes; exit 0 when every image is done, 1 when some failed." };
    private readonly Option<bool> json = new("--json") { Description = "Print {jobId, state} (with --wait, the final status) as JSON on stdout." };

    public SubmitCommand(Terminal terminal)
        : base("submit", "Send a job to a running cluster and print its id.")
    {
        job.AddTo(this);
        Options.Add(priority);
        Options.Add(id);
        Options.Add(wait);
        Options.Add(json);
        cluster.AddTo(this);
        SetAction((parse, ct) => RunAsync(parse, terminal, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var request = job.Request(parse) with { Priority = parse.GetRequiredValue(priority), Id = parse.GetValue(id) };
        var spec = request.ToSpec();
        var jobId = request.JobId();

        var asJson = parse.GetValue(json);
        await using var connection = await cluster.ConnectAsync(parse, JobProgressView.Logs(terminal, asJson), cancellationToken);
        var status = await connection.Client.SubmitAsync(jobId, spec);
        if (JobSpecOptions.LeftOut(spec) is { } leftOut)
        {
            await terminal.Error.WriteLineAsync(leftOut);
        }

        if (status.IsFinished)
        {
            // Submitting an ended job again does nothing by itself; say so, and how to continue it.
            await terminal.Error.WriteLineAsync(
                $"Job {jobId} has already ended ({status.State}: {status.Done} of {status.Total} done, {status.Failed} failed); give --resume to continue it into its output, or --retry-failed to run its failures again.");
        }

        if (parse.GetValue(wait))
        {
            await terminal.Error.WriteLineAsync($"Submitted job {jobId} to {connection.Address.Describe()}.");
            return await WatchCommand.FollowAsync(connection.Client, jobId, terminal, asJson, cancellationToken);
        }

        if (asJson)
        {
            var result = new JsonObject { ["jobId"] = jobId, ["state"] = status.State.ToString() };
            await terminal.Output.WriteLineAsync(result.ToJsonString());
        }
        else
        {
            // The id alone on stdout, so a script can take it: JOB=$(unetpp submit ...).
            await terminal.Output.WriteLineAsync(jobId);
            if (!status.IsFinished)
            {
                // A job still planning has no count yet: its pages are waiting for the cluster to store them.
                var what = status.State == JobState.Planning ? "being planned" : $"{status.State}: {status.Total} image(s)";
                await terminal.Error.WriteLineAsync($"Job {jobId} is {what}. Follow it with 'unetpp watch {jobId}'.");
            }
        }

        return status.State == JobState.Failed ? ExitCodes.UsageError : ExitCodes.Success;
    }
}
