using System.Text;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Reporting;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Objects;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// A job's output, as its coordinator looks after it: claimed for the job before anything is
/// written, given report.json and report.html (with thumbnails) when the job ends, and cleared of
/// the band path's parts, which are of no use once it has.
/// </summary>
public sealed partial class JobOutput(string jobId, IDatasetStorage storage, ILogger logger)
{
    /// <summary>
    /// Makes this job the output's owner before anything is written, or refuses the job: of two jobs
    /// submitted at once to one output, one wins the atomic create and the other is refused (unless
    /// it may overwrite or continue the results there). The same id finding itself there is this job
    /// submitted again, and goes on.
    /// </summary>
    /// <returns>The job whose results were there, when this one continues them; and with --retry-failed, the failures its report lists.</returns>
    /// <exception cref="ArgumentException">Another job's results are there and the spec neither overwrites nor continues them, or --retry-failed finds no report to take failures from.</exception>
    public async Task<OutputClaim> ClaimAsync(JobSpec spec)
    {
        var retry = spec.RetryFailed ? await EarlierFailuresAsync(spec) : null;
        var owner = Encoding.UTF8.GetBytes(jobId);
        if (await storage.CreateAsync(spec.Output, OutputNames.Owner, owner, CancellationToken.None))
        {
            return new OutputClaim(null, retry);
        }

        var current = await OwnerAsync(spec) ?? "";
        if (current == jobId)
        {
            return new OutputClaim(spec.Continues ? jobId : null, retry);
        }

        if (!spec.Overwrite && !spec.Continues)
        {
            throw new ArgumentException(
                $"{StorageLocation.RedactSignature(spec.Output)} holds the results of job {current}; give --resume to continue it, --overwrite to replace them, or choose another output.");
        }

        if (spec.Overwrite)
        {
            LogOverwriting(logger, jobId, current);
        }
        else
        {
            LogContinuing(logger, jobId, current);
        }

        await storage.WriteAsync(spec.Output, OutputNames.Owner, owner, CancellationToken.None);
        return new OutputClaim(spec.Continues ? current : null, retry);
    }

    /// <summary>
    /// With <c>--objects</c>, joins the images' parts of the object table (<c>objects/</c>), in the report's
    /// order, into the job's objects.csv and objects.parquet, made on local disk and then stored, so a reader
    /// never meets half a table. The images' parts stand without them, so trouble comes back as problems.
    /// </summary>
    public async Task<IReadOnlyList<string>> WriteObjectTableAsync(JobSpec spec, JobReport report)
    {
        if (!spec.Objects)
        {
            return [];
        }

        try
        {
            await using var csv = ScratchFile.Create();
            await using var parquet = ScratchFile.Create();
            var parts = report.Images.Select(image => OutputNames.ObjectPartOf(image.Name)).ToList();
            await Task.Run(() => ObjectTableMerge.MergeAsync(parts, (name, ct) => storage.OpenReadAsync(spec.Output, name, ct), csv, parquet, CancellationToken.None));
            foreach (var (name, file) in new[] { (OutputNames.ObjectsCsv, csv), (OutputNames.ObjectsParquet, parquet) })
            {
                file.Position = 0;
                await storage.WriteAsync(spec.Output, name, file, CancellationToken.None);
            }

            return [];
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or StorageObjectNotFoundException or UnauthorizedAccessException or Azure.RequestFailedException)
        {
            return [$"{OutputNames.ObjectsCsv} and {OutputNames.ObjectsParquet} could not be written to {StorageLocation.RedactSignature(spec.Output)}: {ex.Message}"];
        }
    }

    /// <summary>
    /// Writes report.json, then report.html. Neither is needed for the results to stand, so trouble
    /// with either is not thrown: it comes back as the problems to put in the job's error.
    /// </summary>
    public async Task<IReadOnlyList<string>> WriteReportAsync(JobSpec spec, JobReport report)
    {
        var problems = new List<string>();
        try
        {
            await storage.WriteReportAsync(spec.Output, report, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Azure.RequestFailedException)
        {
            problems.Add($"{JobReport.FileName} could not be written to {StorageLocation.RedactSignature(spec.Output)}: {ex.Message}");
        }

        try
        {
            // Thumbnails decode images: on the thread pool, so the grain's turn holds no scheduler thread meanwhile.
            var page = await Task.Run(async () => ReportPage.Render(report, await PreviewsAsync(spec, report)));
            await storage.WriteAsync(spec.Output, JobReport.PageFileName, Encoding.UTF8.GetBytes(page), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The page only shows the results; whatever goes wrong with it, they stand.
            problems.Add($"{JobReport.PageFileName} could not be written to {StorageLocation.RedactSignature(spec.Output)}: {ex.Message}");
        }

        return problems;
    }

    /// <summary>The job's report.json as written to its output; null when none is there, or the one there is another job's.</summary>
    public async Task<string?> ReadReportAsync(JobSpec spec)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(await storage.ReadAsync(spec.Output, JobReport.FileName, CancellationToken.None));
        }
        catch (StorageObjectNotFoundException)
        {
            return null;
        }

        return JobReport.FromJson(text).JobId == jobId ? text : null;
    }

    /// <summary>
    /// The images the report of the output's owner lists as failed: what --retry-failed runs again.
    /// Without that report there is nothing to retry, and the user is told what to give instead.
    /// </summary>
    private async Task<IReadOnlyList<string>> EarlierFailuresAsync(JobSpec spec)
    {
        var output = StorageLocation.RedactSignature(spec.Output);
        var owner = await OwnerAsync(spec);
        JobReport? report;
        try
        {
            report = JobReport.FromJson(Encoding.UTF8.GetString(await storage.ReadAsync(spec.Output, JobReport.FileName, CancellationToken.None)));
        }
        catch (StorageObjectNotFoundException)
        {
            report = null;
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ArgumentException($"--retry-failed: {output}/{JobReport.FileName} cannot be read ({ex.Message}); give --resume to continue the job there instead.");
        }

        if (report is null || owner is null)
        {
            throw new ArgumentException($"--retry-failed: {output} holds no {JobReport.FileName} of an earlier job to take its failures from; give --resume to continue the job there instead.");
        }

        if (report.JobId != owner && owner != jobId)
        {
            throw new ArgumentException($"--retry-failed: {output}/{JobReport.FileName} is the report of job {report.JobId}, but job {owner} wrote there since and has no report; give --resume to continue it instead.");
        }

        return [.. report.Failures.Select(f => f.Name)];
    }

    private async Task<string?> OwnerAsync(JobSpec spec)
    {
        try
        {
            return Encoding.UTF8.GetString(await storage.ReadAsync(spec.Output, OutputNames.Owner, CancellationToken.None));
        }
        catch (StorageObjectNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Removes every stored band part of the job: once it has ended they are of no use and would be partial files.</summary>
    public async Task RemoveBandPartsAsync(JobSpec spec, IEnumerable<PageOutcome> pages)
    {
        foreach (var (image, count) in pages.SelectMany(p => p.Banded))
        {
            for (var index = 0; index < count; index++)
            {
                await RemoveBandPartAsync(spec, image, index);
            }
        }
    }

    /// <summary>Removes the band parts a worker reports after the job ended (it was cancelled while the band ran).</summary>
    public async Task RemoveLateBandPartsAsync(JobSpec spec, ShardResult result)
    {
        foreach (var stored in result.Images.OfType<BandStored>())
        {
            await RemoveBandPartAsync(spec, stored.Name, stored.Index);
        }
    }

    private async Task RemoveBandPartAsync(JobSpec spec, string image, int index)
    {
        try
        {
            await storage.DeleteAsync(spec.Output, OutputNames.BandPart(jobId, image, index), CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Azure.RequestFailedException)
        {
            LogBandPartNotRemoved(logger, jobId, image, index, ex.Message);
        }
    }

    /// <summary>
    /// One preview per image of <see cref="ReportPage.Sample"/>, one image at a time, each streamed
    /// from storage as it is reduced, so even a very large image costs only its thumbnail's memory. A
    /// thumbnail that cannot be made says why instead; this never throws for one.
    /// </summary>
    private async Task<IReadOnlyList<ReportPreview>> PreviewsAsync(JobSpec spec, JobReport report)
    {
        var thumbnails = new ReportThumbnail(
            new ImageDecoder(new ImageDecoderOptions { MaxPixels = spec.MaxPixels }),
            spec.Channels is null ? null : ChannelChoice.Parse(spec.Channels));
        var previews = new List<ReportPreview>();
        foreach (var image in ReportPage.Sample(report.Images))
        {
            try
            {
                await using var input = await storage.OpenReadAsync(spec.Input, ImagePlane.FileOf(image.Name), CancellationToken.None);
                // With label images, each object in a colour of its own: touching nuclei show apart.
                var drawn = image.LabelImage ?? image.Mask;
                await using var mask = await storage.OpenReadAsync(spec.Output, drawn, CancellationToken.None);
                previews.Add(ReportPreview.Of(image.Name, image.LabelImage is null
                    ? thumbnails.Make(image.Name, input, image.Mask, mask)
                    : thumbnails.MakeWithObjects(image.Name, input, drawn, mask)));
            }
            catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
            {
                // An unreadable image or a missing mask costs its own picture, never the page; the message names the file.
                previews.Add(ReportPreview.Missing(image.Name, ex.Message));
            }
        }

        return previews;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: writing over the results of job {Previous}, as --overwrite allows.")]
    private static partial void LogOverwriting(ILogger logger, string jobId, string previous);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: continuing the results of job {Previous}; images done and current are skipped.")]
    private static partial void LogContinuing(ILogger logger, string jobId, string previous);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: band part {Index} of {Image} could not be removed from the output ({Reason}).")]
    private static partial void LogBandPartNotRemoved(ILogger logger, string jobId, string image, int index, string reason);
}

/// <summary>What claiming an output found there.</summary>
/// <param name="Previous">The job whose results the output held, when this one continues them.</param>
/// <param name="Retry">With --retry-failed, the images that job failed.</param>
public sealed record OutputClaim(string? Previous, IReadOnlyList<string>? Retry);
