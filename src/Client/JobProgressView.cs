using Spectre.Console;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Client;

/// <summary>
/// Watches a job to its end and shows it: a live bar (done/total, images per second, time left,
/// failures) for a person at a terminal, one plain line per change otherwise. Shared by
/// <c>segment</c>, <c>submit --wait</c> and <c>watch</c>, so they look and exit the same.
/// </summary>
internal sealed class JobProgressView(IAnsiConsole console, bool live)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    public async Task<JobStatus> WatchAsync(SegmentationClient client, string jobId, CancellationToken cancellationToken)
    {
        JobStatus? last = null;
        if (live)
        {
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var bar = context.AddTask(jobId);
                    await foreach (var status in client.WatchAsync(jobId, Interval, cancellationToken))
                    {
                        bar.MaxValue = Math.Max(1, status.Total);
                        bar.Value = status.Done + status.Failed;
                        bar.Description = $"{jobId}: {status.Done + status.Failed}/{status.Total}, {status.ImagesPerSecond:F2} images/s, {status.Failed} failed";
                        last = status;
                    }
                });
        }
        else
        {
            await foreach (var status in client.WatchAsync(jobId, Interval, cancellationToken))
            {
                if (last is null || status.Done != last.Done || status.Failed != last.Failed || status.State != last.State)
                {
                    console.MarkupLineInterpolated(
                        $"{jobId}: {status.State}, {status.Done + status.Failed}/{status.Total} ({status.Done} done, {status.Failed} failed, {status.ImagesPerSecond:F2} images/s)");
                }

                last = status;
            }
        }

        return last!;
    }

    /// <summary>The closing lines: the outcome, every failure with its reason, and where the results are.</summary>
    public void Summarise(JobStatus status, JobReport? report)
    {
        if (status.Started is { } started)
        {
            var seconds = ((status.Finished ?? DateTimeOffset.UtcNow) - started).TotalSeconds;
            console.MarkupLineInterpolated(
                $"Done: {status.Done} of {status.Total} image(s) in {seconds:F1} s ({status.ImagesPerSecond:F2} images/s); job {status.JobId} {status.State}.");
        }
        else
        {
            // Ended before its images were planned (its input refused, or stopped while it waited for it): no time, no rate to speak of.
            console.MarkupLineInterpolated($"Done: no image was segmented; job {status.JobId} {status.State} while it was being planned.");
        }

        if (status.Skipped > 0 || status.LeftOut > 0 || report?.Resume?.Redone.Count > 0)
        {
            console.MarkupLineInterpolated(
                $"Of those, {status.Skipped} skipped as done and current, {report?.Resume?.Redone.Count ?? 0} redone; {status.LeftOut} left out. {JobReport.FileName} says which and why.");
        }

        if (report?.Quality is { } quality)
        {
            console.MarkupLineInterpolated($"Against ground truth ({quality.Images} image(s)): mean IoU {quality.MeanIoU:F4}, mean Dice {quality.MeanDice:F4}.");
        }

        if (report?.Instances is { } objects)
        {
            console.MarkupLineInterpolated(
                $"Objects against instance labels ({objects.Images} image(s)): F1 {objects.F1:F3} at IoU 0.5 (precision {objects.Precision:F3}, recall {objects.Recall:F3}), DSB score {objects.Dsb:F3}, {objects.Merges} merge(s), {objects.Splits} split(s).");
        }

        if (status.Spec?.Labels is { } labels && report is not null && (report.Quality?.Images ?? 0) < report.Images.Count)
        {
            // Without this line, images whose label went unmatched would silently drop out of the scores.
            console.MarkupLineInterpolated(
                $"Labels found for {report.Quality?.Images ?? 0} of {report.Images.Count} image(s) in {StorageLocation.RedactSignature(labels)}; looked for {LabelNames.Describe("<image>")}.");
        }

        foreach (var failure in status.Failures)
        {
            console.MarkupLineInterpolated($"[red]failed[/] {failure.Name}: {failure.Reason}");
        }

        if (status.Failed > status.Failures.Count)
        {
            console.MarkupLineInterpolated($"[red]failed[/] {status.Failed - status.Failures.Count} more; {JobReport.FileName} lists every failure.");
        }

        if (status.Error is not null)
        {
            console.MarkupLineInterpolated($"[red]error[/] {status.Error}");
        }

        if (status.Spec is { } spec && status.Started is not null)
        {
            console.MarkupLineInterpolated($"Masks, {JobReport.FileName} and {JobReport.PageFileName} are in {StorageLocation.RedactSignature(spec.Output)}.");
        }
        else if (status.Spec is { } planned && report is not null)
        {
            console.MarkupLineInterpolated($"{JobReport.FileName} and {JobReport.PageFileName} are in {StorageLocation.RedactSignature(planned.Output)}.");
        }
    }

    /// <summary>
    /// Where log lines go while a job's progress is shown: the console of the live bar, which draws each
    /// line above the bar, or plain on stderr where there is no bar.
    /// </summary>
    public static IAnsiConsole Logs(Terminal terminal, bool asJson) =>
        terminal.Human(json: !terminal.Interactive || asJson);

    /// <summary>0 when every image is done, 1 when the job ran but some images failed, 2 when it could not run.</summary>
    public static int ExitCode(JobStatus status) => status.State switch
    {
        JobState.Completed => ExitCodes.Success,
        JobState.CompletedWithFailures => ExitCodes.ImagesFailed,
        JobState.Cancelled => ExitCodes.ImagesFailed,
        _ => ExitCodes.UsageError,
    };
}
