using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp status &lt;job&gt;</c>: where one job stands: state, counts, throughput and every failure with its reason.</summary>
internal sealed class StatusCommand : Command
{
    /// <summary>How <c>--json</c> prints the job API's shapes: its names, indented for people.</summary>
    public static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly ClusterConnectionOptions cluster = new();
    private readonly Argument<string> job = new("job") { Description = "The job id that submit printed." };
    private readonly Option<bool> json = new("--json") { Description = "Print the status as JSON on stdout." };

    public StatusCommand(Terminal terminal)
        : base("status", "Show where a job on a running cluster stands.")
    {
        Arguments.Add(job);
        Options.Add(json);
        cluster.AddTo(this);
        SetAction((parse, ct) => RunAsync(parse, terminal, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var jobId = parse.GetRequiredValue(job);
        await using var connection = await cluster.ConnectAsync(parse, cancellationToken);
        var status = RequireKnown(await connection.Client.GetStatusAsync(jobId), connection.Address);
        if (parse.GetValue(json))
        {
            await terminal.Output.WriteLineAsync(ToJson(status));
        }
        else
        {
            await WriteAsync(terminal.Output, status);
        }

        return ExitCodes.Success;
    }

    /// <summary>A job the cluster has never heard of is the user's mistake (a typo, another cluster), not a state.</summary>
    public static JobStatus RequireKnown(JobStatus status, ClusterAddress cluster) =>
        status.State == JobState.Unknown
            ? throw new UsageException($"no job '{status.JobId}' in {cluster.Describe()}; 'unetpp list' shows its jobs.")
            : status;

    public static async Task WriteAsync(TextWriter output, JobStatus status)
    {
        await output.WriteLineAsync($"Job {status.JobId}: {status.State}");
        await output.WriteLineAsync(Invariant($"  Images      {status.Done + status.Failed} of {status.Total} finished: {status.Done} done, {status.Failed} failed, {status.InProgress} in progress"));
        if (status.Skipped > 0 || status.LeftOut > 0)
        {
            await output.WriteLineAsync(Invariant($"  Resumed     {status.Skipped} of the done skipped as done and current, {status.LeftOut} left out"));
        }

        if (status.Cancelling)
        {
            await output.WriteLineAsync("  Cancelling  no more images start; those being written are counted when they land");
        }

        await output.WriteLineAsync(Invariant($"  Throughput  {status.ImagesPerSecond:F2} images/s"));
        if (status.Started is { } started)
        {
            var end = status.Finished ?? DateTimeOffset.UtcNow;
            await output.WriteLineAsync(Invariant($"  Started     {started:u} ({(end - started).TotalSeconds:F1} s {(status.Finished is null ? "so far" : "in all")})"));
        }

        if (status.Spec is { } spec)
        {
            await output.WriteLineAsync($"  Input       {StorageLocation.RedactSignature(spec.Input)}");
            await output.WriteLineAsync($"  Output      {StorageLocation.RedactSignature(spec.Output)} (masks and {JobReport.FileName})");
            await output.WriteLineAsync($"  Model       {(spec.Model is null ? "built-in" : StorageLocation.RedactSignature(spec.Model))}, mode {spec.Mode}");
            await output.WriteLineAsync($"  Priority    {JobPriority.Name(spec.Priority)}");
        }

        foreach (var failure in status.Failures)
        {
            await output.WriteLineAsync($"  failed {failure.Name}: {failure.Reason}");
        }

        if (status.Failed > status.Failures.Count)
        {
            await output.WriteLineAsync(Invariant($"  failed {status.Failed - status.Failures.Count} more; {JobReport.FileName} lists every failure"));
        }

        if (status.Error is not null)
        {
            await output.WriteLineAsync($"  error {status.Error}");
        }
    }

    /// <summary>The status as <c>--json</c> prints it: the job API's shape, indented.</summary>
    public static string ToJson(JobStatus status) => JsonSerializer.Serialize(JobView.Of(status), Indented);

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
