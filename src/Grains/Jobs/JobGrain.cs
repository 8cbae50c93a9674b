using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Reports;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Regions;
using UNetPP.Cluster.Segmentation.Telemetry;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// The coordinator of one job. Shards are leased to workers that pull; a lease that is not
/// renewed expires and its shard goes back in the queue; results of a stale lease are ignored,
/// and outputs have fixed names, so a shard done twice writes the same bytes: at-least-once
/// work, exactly-once results. An image a worker finds above the job's region size comes back
/// unsegmented and is cut into region shards, leased like any other, then one stitch shard.
/// </summary>
public sealed partial class JobGrain(
    [PersistentState("job", JobGrain.StorageName)] IPersistentState<JobRecord> record,
    IDatasetStorage datasets,
    ClusterMetrics metrics,
    Orleans.Runtime.ILocalSiloDetails silo,
    TimeProvider clock,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    /// <summary>The grain-storage provider jobs are kept in.</summary>
    public const string StorageName = "jobs";

    /// <summary>The job has ended and its report is being written (see <see cref="EndAsync"/>).</summary>
    private bool _reporting;

    private JobRecord Job => record.State;

    private string JobId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A job whose coordinator moved here (its silo died) is counted here from now on.
        Publish();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.JobGone(JobId);
        return Task.CompletedTask;
    }

    public async Task<JobStatus> SubmitAsync(JobSpec spec)
    {
        if (Job.Spec is not null)
        {
            // The same job submitted again (a retrying client) is the same job; a different one may not reuse the id.
            return Job.Spec == spec
                ? Status()
                : throw new ArgumentException($"job {JobId} already exists with a different specification; choose another job id.");
        }

        spec.Validate();
        await ClaimOutputAsync(spec);
        using var span = ClusterTelemetry.Traces.StartActivity("job");
        span?.SetTag("unetpp.job", JobId);
        span?.SetTag("unetpp.input", StorageLocation.RedactSignature(spec.Input));
        span?.SetTag("unetpp.output", StorageLocation.RedactSignature(spec.Output));
        Job.Spec = spec;
        Job.State = JobState.Planning;
        Job.Submitted = clock.GetUtcNow();
        Job.TraceParent = span?.Id;
        await record.WriteStateAsync();
        Publish();

        try
        {
            var plan = await JobPlan.CreateAsync(spec, datasets, CancellationToken.None);
            Job.Shards = plan.Shards;
            Job.Total = plan.Total;
            Job.Failures.AddRange(plan.Refused);
            Job.State = JobState.Running;
            Job.Started = clock.GetUtcNow();
            LogPlanned(logger, JobId, plan.Total, plan.Shards.Count);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Job.State = JobState.Failed;
            Job.Error = $"{StorageLocation.RedactSignature(spec.Input)}: {ex.Message}";
            span?.SetStatus(ActivityStatusCode.Error, Job.Error);
            Job.Finished = clock.GetUtcNow();
            LogFailed(logger, JobId, Job.Error);
        }

        await record.WriteStateAsync();
        Publish();
        if (Job.State == JobState.Running)
        {
            await GrainFactory.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).AnnounceAsync(JobId);
            await FinishIfDoneAsync();
        }

        return Status();
    }

    public Task<JobStatus> GetStatusAsync() => Task.FromResult(Status());

    /// <summary>
    /// Makes this job the output's owner before anything is written, or refuses the job: of two jobs
    /// submitted at once to one output, one wins the atomic create and the other is refused (unless
    /// it may overwrite). The same id finding itself there is this job submitted again after its
    /// state was lost, and goes on.
    /// </summary>
    /// <exception cref="ArgumentException">Another job's results are there and the spec does not allow overwriting them.</exception>
    private async Task ClaimOutputAsync(JobSpec spec)
    {
        var owner = System.Text.Encoding.UTF8.GetBytes(JobId);
        if (await datasets.CreateAsync(spec.Output, OutputNames.Owner, owner, CancellationToken.None))
        {
            return;
        }

        var current = System.Text.Encoding.UTF8.GetString(await datasets.ReadAsync(spec.Output, OutputNames.Owner, CancellationToken.None));
        if (current == JobId)
        {
            return;
        }

        if (!spec.Overwrite)
        {
            throw new ArgumentException(
                $"{StorageLocation.RedactSignature(spec.Output)} holds the results of job {current}; give --overwrite to replace them, or choose another output.");
        }

        LogOverwriting(logger, JobId, current);
        await datasets.WriteAsync(spec.Output, OutputNames.Owner, owner, CancellationToken.None);
    }

    public async Task<JobStatus> CancelAsync()
    {
        if (Job.Spec is null || Status().IsFinished)
        {
            return Status();
        }

        foreach (var shard in Job.Shards.Where(s => s.State == ShardState.Leased))
        {
            shard.State = ShardState.Pending;
            shard.Worker = null;
        }

        Job.State = JobState.Cancelled;
        Job.Finished = clock.GetUtcNow();
        await EndAsync();
        return Status();
    }

    public async Task<IReadOnlyList<ShardLease>> LeaseAsync(string workerId, int maxShards)
    {
        if (Job.State != JobState.Running || maxShards < 1)
        {
            return [];
        }

        var changed = await ExpireLeasesAsync();
        var now = clock.GetUtcNow();
        var leases = new List<ShardLease>();
        foreach (var shard in Job.Shards.Where(s => s.State == ShardState.Pending).OrderBy(s => s.Priority).ThenBy(s => s.Id).Take(maxShards).ToList())
        {
            shard.State = ShardState.Leased;
            shard.LeaseId = Guid.NewGuid();
            shard.Worker = workerId;
            shard.LeaseExpires = now + Job.Spec!.LeaseDuration;
            shard.Leases++;
            leases.Add(new ShardLease
            {
                JobId = JobId,
                ShardId = shard.Id,
                LeaseId = shard.LeaseId,
                Spec = Job.Spec,
                Images = [.. shard.Unfinished],
                ExpiresAt = shard.LeaseExpires,
                Region = shard.Region,
                Stitch = shard.Stitch,
                TraceParent = Job.TraceParent,
            });
        }

        if (leases.Count > 0 || changed)
        {
            await record.WriteStateAsync();
            Publish();
        }

        if (changed)
        {
            await FinishIfDoneAsync();
        }

        return leases;
    }

    public Task<IReadOnlyList<ShardLeaseRef>> RenewAsync(string workerId, IReadOnlyList<ShardLeaseRef> leases)
    {
        // Renewals are kept in memory only: if this grain moves, the persisted expiry is earlier, so
        // at worst a shard is done twice, which writes the same bytes again.
        var lost = new List<ShardLeaseRef>();
        var until = clock.GetUtcNow() + (Job.Spec?.LeaseDuration ?? TimeSpan.Zero);
        foreach (var lease in leases)
        {
            var shard = Holding(workerId, lease);
            if (shard is null || Job.State != JobState.Running)
            {
                lost.Add(lease);
                continue;
            }

            shard.LeaseExpires = until;
        }

        return Task.FromResult<IReadOnlyList<ShardLeaseRef>>(lost);
    }

    public async Task CompleteAsync(ShardResult result)
    {
        var shard = Holding(result.WorkerId, result.Lease);
        if (shard is null || Job.State != JobState.Running)
        {
            LogStaleResult(logger, JobId, result.Lease.ShardId, result.WorkerId);
            await RemoveLatePartsAsync(result);
            return;
        }

        var spec = Job.Spec!;
        foreach (var image in result.Images.Where(i => shard.Images.Contains(i.Name) && !shard.Finished.Contains(i.Name)))
        {
            if (image.Summary is { } summary)
            {
                Job.Segmented[image.Name] = summary;
                shard.Finished.Add(image.Name);
                var silo = image.Silo ?? "unknown";
                Job.ImagesBySilo[silo] = Job.ImagesBySilo.GetValueOrDefault(silo) + 1;
                continue;
            }

            if (image.Oversized is { } size && shard.Region is null && shard.Stitch is null)
            {
                shard.Finished.Add(image.Name);
                CutIntoRegions(shard, image.Name, size);
                continue;
            }

            if (image.RegionStored == shard.Region?.Index && shard.Region is not null)
            {
                shard.Finished.Add(image.Name);
                continue;
            }

            var attempts = shard.Attempts[image.Name] = shard.Attempts.GetValueOrDefault(image.Name) + 1;
            var reason = image.FailureReason ?? "failed without a reason";
            if (!image.Retryable || attempts >= spec.MaxAttempts)
            {
                Fail(shard, image.Name, image.Retryable ? $"{reason} (after {attempts} attempts)" : reason);
            }
        }

        Job.Tiles += result.Tiles;
        shard.Worker = null;
        shard.State = shard.Unfinished.Any() ? ShardState.Pending : ShardState.Done;
        if (shard is { State: ShardState.Done, Region: { } region })
        {
            StitchWhenComplete(region.Image);
        }

        await record.WriteStateAsync();
        Publish();
        await FinishIfDoneAsync();
    }

    public async Task ReleaseAsync(string workerId, IReadOnlyList<ShardLeaseRef> leases)
    {
        var released = false;
        foreach (var lease in leases)
        {
            if (Holding(workerId, lease) is { } shard)
            {
                shard.State = ShardState.Pending;
                shard.Worker = null;
                released = true;
            }
        }

        if (released)
        {
            await record.WriteStateAsync();
            Publish();
        }
    }

    private ShardRecord? Holding(string workerId, ShardLeaseRef lease) =>
        Job.Shards.FirstOrDefault(s => s.Id == lease.ShardId) is { State: ShardState.Leased } shard
        && shard.LeaseId == lease.LeaseId && shard.Worker == workerId
            ? shard
            : null;

    /// <summary>
    /// Puts back shards whose worker stopped renewing. Each expiry counts as an attempt for the
    /// images still open, so an image that takes its silo down with it cannot loop forever.
    /// </summary>
    private Task<bool> ExpireLeasesAsync()
    {
        var now = clock.GetUtcNow();
        var changed = false;
        foreach (var shard in Job.Shards.Where(s => s.State == ShardState.Leased && s.LeaseExpires <= now))
        {
            LogLeaseExpired(logger, JobId, shard.Id, shard.Worker);
            foreach (var image in shard.Unfinished.ToList())
            {
                var attempts = shard.Attempts[image] = shard.Attempts.GetValueOrDefault(image) + 1;
                if (attempts >= Job.Spec!.MaxAttempts)
                {
                    Fail(shard, image, $"its worker stopped answering before it finished (lease expired) (after {attempts} attempts)");
                }
            }

            shard.Worker = null;
            shard.State = shard.Unfinished.Any() ? ShardState.Pending : ShardState.Done;
            changed = true;
        }

        return Task.FromResult(changed);
    }

    /// <summary>Records an image's final failure; for a large image, its other regions and its stitch are dropped with it.</summary>
    private void Fail(ShardRecord shard, string image, string reason)
    {
        var where = shard.Region is { } r ? FormattableString.Invariant($"region {r.Index + 1} of {r.Count} ({r.Width}×{r.Height} at {r.X}, {r.Y}): ") : "";
        Job.Failures.Add(new ImageFailure(image, where + reason));
        shard.Finished.Add(image);
        if (shard.Region is null && shard.Stitch is null)
        {
            return;
        }

        foreach (var other in Job.Shards.Where(s => s != shard && s.State != ShardState.Done && (s.Region?.Image == image || s.Stitch?.Image == image)))
        {
            other.Finished.Add(image);
            other.Worker = null;
            other.State = ShardState.Done;
        }
    }

    private void CutIntoRegions(ShardRecord shard, string image, ImageSize size)
    {
        IReadOnlyList<Segmentation.Imaging.PixelRect> regions;
        try
        {
            regions = RegionPlanner.Split(size.Width, size.Height, size.TileSize, Job.Spec!.Overlap, Job.Spec.RegionSize);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            Fail(shard, image, $"its size {size.Width}×{size.Height} cannot be cut into regions ({ex.Message})");
            return;
        }

        Job.Regioned[image] = regions.Count;
        for (var index = 0; index < regions.Count; index++)
        {
            var region = regions[index];
            Job.Shards.Add(new ShardRecord
            {
                Id = Job.Shards.Count,
                Images = [image],
                Region = new ImageRegion { Image = image, Index = index, Count = regions.Count, X = region.X, Y = region.Y, Width = region.Width, Height = region.Height },
            });
        }

        LogCutIntoRegions(logger, JobId, image, size.Width, size.Height, regions.Count);
    }

    /// <summary>Adds the stitch shard once every region of the image is stored (and none failed).</summary>
    private void StitchWhenComplete(string image)
    {
        var regions = Job.Shards.Where(s => s.Region?.Image == image).ToList();
        if (regions.Any(s => s.State != ShardState.Done)
            || Job.Failures.Any(f => f.Name == image)
            || Job.Shards.Any(s => s.Stitch?.Image == image))
        {
            return;
        }

        Job.Shards.Add(new ShardRecord { Id = Job.Shards.Count, Images = [image], Stitch = new ImageStitch(image, regions.Count) });
    }

    /// <summary>Removes every stored region part of the job: once it has ended they are of no use and would be partial files.</summary>
    private async Task RemovePartsAsync()
    {
        foreach (var (image, count) in Job.Regioned)
        {
            for (var index = 0; index < count; index++)
            {
                await RemovePartAsync(image, index);
            }
        }
    }

    /// <summary>A region that a worker stored after the job ended (cancelled while it ran) is removed as it reports.</summary>
    private async Task RemoveLatePartsAsync(ShardResult result)
    {
        if (Job.Spec is null || Job.State == JobState.Running)
        {
            return;
        }

        foreach (var image in result.Images)
        {
            if (image.RegionStored is { } index)
            {
                await RemovePartAsync(image.Name, index);
            }
        }
    }

    private async Task RemovePartAsync(string image, int index)
    {
        try
        {
            await datasets.DeleteAsync(Job.Spec!.Output, OutputNames.Part(JobId, image, index), CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Azure.RequestFailedException)
        {
            LogPartNotRemoved(logger, JobId, image, index, ex.Message);
        }
    }

    private async Task FinishIfDoneAsync()
    {
        if (Job.State != JobState.Running || Job.Shards.Any(s => s.State != ShardState.Done))
        {
            return;
        }

        Job.State = Job.Failures.Count == 0 ? JobState.Completed : JobState.CompletedWithFailures;
        Job.Finished = clock.GetUtcNow();
        await EndAsync();
        LogFinished(logger, JobId, Job.State, Job.Segmented.Count, Job.Failures.Count);
    }

    /// <summary>
    /// Persists the job's end, takes it off the queue and writes its report. Status calls, which run
    /// between this grain's turns, see the job as running until the report is there: a client that
    /// sees it finished can read its report at once.
    /// </summary>
    private async Task EndAsync()
    {
        _reporting = true;
        try
        {
            await record.WriteStateAsync();
            TraceRun();
            await GrainFactory.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).RetireAsync(JobId);
            await WriteReportAsync();
            await RemovePartsAsync();
        }
        finally
        {
            _reporting = false;
            Publish();
        }
    }

    private async Task WriteReportAsync()
    {
        var report = JobReportBuilder.Build(JobId, Job, clock.GetUtcNow());
        try
        {
            await datasets.WriteReportAsync(Job.Spec!.Output, report, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Azure.RequestFailedException)
        {
            // The job's results stand without the report; its status still says everything.
            Job.Error = $"report.json could not be written to {StorageLocation.RedactSignature(Job.Spec!.Output)}: {ex.Message}";
            await record.WriteStateAsync();
        }

        await WriteReportPageAsync(report);
    }

    private async Task WriteReportPageAsync(JobReport report)
    {
        var spec = Job.Spec!;
        try
        {
            // Thumbnails decode images: on the thread pool, so this grain's turn holds no scheduler thread meanwhile.
            var page = await Task.Run(async () => ReportPage.Render(report, await ReportPreviews.MakeAsync(datasets, spec, report, CancellationToken.None)));
            await datasets.WriteAsync(spec.Output, JobReport.PageFileName, Encoding.UTF8.GetBytes(page), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Like report.json, the page only shows the results; whatever goes wrong with it, they stand.
            var error = $"{JobReport.PageFileName} could not be written to {StorageLocation.RedactSignature(spec.Output)}: {ex.Message}";
            Job.Error = Job.Error is null ? error : $"{Job.Error}; {error}";
            await record.WriteStateAsync();
        }
    }

    /// <summary>Puts the job's progress in this silo's metrics.</summary>
    private void Publish()
    {
        if (Job.Spec is not null)
        {
            metrics.JobChanged(Status());
        }
    }

    /// <summary>
    /// The job's run as one span under the job's own, from its start to now: a span cannot stay open
    /// across the calls and silos a job lives through, so it is recorded whole when the job ends.
    /// </summary>
    private void TraceRun()
    {
        if (Job.TraceParent is null || !ActivityContext.TryParse(Job.TraceParent, null, out var parent))
        {
            return;
        }

        using var span = ClusterTelemetry.Traces.StartActivity("job.run", ActivityKind.Internal, parent, startTime: Job.Started ?? clock.GetUtcNow());
        span?.SetTag("unetpp.job", JobId);
        span?.SetTag("unetpp.state", ClusterMetrics.Label(Job.State));
        span?.SetTag("unetpp.images.done", Job.Segmented.Count);
        span?.SetTag("unetpp.images.failed", Job.Failures.Count);
        span?.SetTag("unetpp.tiles", Job.Tiles);
    }

    private JobStatus Status()
    {
        if (Job.Spec is null)
        {
            return new JobStatus { JobId = JobId, State = JobState.Unknown };
        }

        var now = clock.GetUtcNow();
        var finished = Job.Segmented.Count + Job.Failures.Count;
        var elapsed = ((Job.Finished ?? now) - (Job.Started ?? now)).TotalSeconds;
        return new JobStatus
        {
            JobId = JobId,
            State = _reporting ? JobState.Running : Job.State,
            Total = Job.Total,
            Done = Job.Segmented.Count,
            Failed = Job.Failures.Count,
            // A large image's regions are leased apart but make one image in progress.
            InProgress = Job.Shards.Where(s => s.State == ShardState.Leased && s.LeaseExpires > now).SelectMany(s => s.Unfinished).Distinct().Count(),
            ImagesPerSecond = elapsed > 0 ? finished / elapsed : 0,
            Started = Job.Started,
            Finished = _reporting ? null : Job.Finished,
            Failures = [.. Job.Failures],
            Error = Job.Error,
            Spec = Job.Spec,
            Coordinator = silo.SiloAddress.Endpoint.ToString(),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Images} image(s) in {Shards} shard(s).")]
    private static partial void LogPlanned(ILogger logger, string jobId, int images, int shards);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} cannot run: {Error}")]
    private static partial void LogFailed(ILogger logger, string jobId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the lease of shard {ShardId} held by {Worker} expired; the shard goes back in the queue.")]
    private static partial void LogLeaseExpired(ILogger logger, string jobId, int shardId, string? worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: ignored a result for shard {ShardId} from {Worker}, which no longer holds it.")]
    private static partial void LogStaleResult(ILogger logger, string jobId, int shardId, string worker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: writing over the results of job {Previous}, as --overwrite allows.")]
    private static partial void LogOverwriting(ILogger logger, string jobId, string previous);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Image} is {Width}×{Height}, above the region size; cut into {Regions} region shard(s).")]
    private static partial void LogCutIntoRegions(ILogger logger, string jobId, string image, int width, int height, int regions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: region {Index} of {Image} could not be removed from the output ({Reason}).")]
    private static partial void LogPartNotRemoved(ILogger logger, string jobId, string image, int index, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {State}: {Done} segmented, {Failed} failed.")]
    private static partial void LogFinished(ILogger logger, string jobId, JobState state, int done, int failed);
}
