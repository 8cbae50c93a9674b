using System.CommandLine;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp cancel &lt;job&gt;</c>: stops handing out the job's work and waits the few seconds its
/// workers take to finish the images they are writing; masks already written stay, and are counted.
/// </summary>
internal sealed class CancelCommand : Command
{
    private readonly ClusterConnectionOptions cluster = new();
    private readonly Argument<string> job = new("job") { Description = "The job id that submit printed." };

    public CancelCommand(Terminal terminal)
        : base("cancel", "Cancel a job on a running cluster.")
    {
        Arguments.Add(job);
        cluster.AddTo(this);
        SetAction((parse, ct) => RunAsync(parse, terminal, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var jobId = parse.GetRequiredValue(job);
        await using var connection = await cluster.ConnectAsync(parse, cancellationToken);
        var before = StatusCommand.RequireKnown(await connection.Client.GetStatusAsync(jobId), connection.Address);
        var status = await connection.Client.CancelAsync(jobId, cancellationToken);
        await terminal.Output.WriteLineAsync(status.State == JobState.Cancelled && !before.IsFinished
            ? StatusCommand.Invariant($"Job {jobId} Cancelled: {status.Done} of {status.Total} image(s) were done; their masks stay in {(status.Spec is null ? "" : StorageLocation.RedactSignature(status.Spec.Output))}.")
            : $"Job {jobId} had already finished: {status.State}.");
        return ExitCodes.Success;
    }
}
