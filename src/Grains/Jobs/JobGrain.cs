using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Reports;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Telemetry;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// The coordinator of one job. Shards are leased to workers that pull; a lease that is not
/// renewed expires and its shard goes back in the queue; results of a stale lease are ignored,
/// and outputs have fixed names, so a shard done twice writes the same bytes: at-least-once
/// work, exactly-once results. The plan is kept in pages (<see cref="JobPageGrain"/>) of a few
/// hundred images each, so this grain's own state, and what a completion rewrites, stay small
/// however many images the job has. It holds each page's counts and the shards workers hold now;
/// when it activates on another silo, it reads both back from the pages.
/// </summary>
public sealed partial class JobGrain(
    [PersistentState("job", JobGrain.StorageName)] IPersistentState<JobRecord> record,
    IDatasetStorage datasets,
    ClusterMetrics metrics,
    Orleans.Runtime.ILocalSiloDetails silo,
    Microsoft.Extensions.Options.IOptions<JobOptions> options,
    TimeProvider clock,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    /// <summary>The grain-storage provider jobs are kept in.</summary>
    public const string StorageName = "jobs";

    /// <summary>How many pages are asked at once when planning, recovering or reporting.</summary>
    private const int PagesAtOnce = 16;

    /// <summary>Shards that workers hold now, by page and shard; renewals only move their expiry here.</summary>
    private readonly Dictionary<(int Page, int Shard), HeldShard> _held = [];

    /// <summary>
    /// Pages a call to which failed: the page may have done it anyway (its write landed, its answer was
    /// lost), so before the next lease the job reads back what such a page holds (see <see cref="SettleAsync"/>).
    /// </summary>
    private readonly HashSet<int> _unsure = [];

    /// <summary>Set while a plan cut short by a silo's death waits to be made again (see <see cref="PlanAgainAsync"/>).</summary>
    private IGrainTimer? _planAgain;

    /// <summary>The job has ended and its report is being written (see <see cref="EndAsync"/>).</summary>
    private bool _reporting;

    private JobRecord Job => record.State;

    private string JobId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Job.State == JobState.Running)
        {
            await RecoverAsync();
        }
        else if (Job.State == JobState.Planning)
        {
            // In a turn of its own, as soon as the activation is done: planning lists the whole input.
            _planAgain = this.RegisterGrainTimer(_ => PlanAgainAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        // A job whose coordinator moved here (its silo died) is counted here from now on.
        Publish();
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
        await PlanAsync(span);
        return Status();
    }

    /// <summary>
    /// Lists the input, stores the plan's pages and starts the job, or fails it with the reason. Pages
    /// take their plan again whole, so a plan cut short by its silo's death is simply made again.
    /// </summary>
    private async Task PlanAsync(Activity? span)
    {
        var spec = Job.Spec!;
        try
        {
            var plan = await JobPlan.CreateAsync(spec, options.Value.ImagesPerPage, datasets, CancellationToken.None);
            var rules = PageRules.Of(spec);
            Job.Pages = [.. await ForEachPageAsync(plan.Pages.Count, index => Page(index).PlanAsync(rules, plan.Pages[index]))];
            Job.Total = plan.Total;
            Job.FirstFailures = [.. plan.Pages.SelectMany(p => p.Refused).Take(JobStatus.FailuresListed)];
            Job.State = JobState.Running;
            Job.Started = clock.GetUtcNow();
            var shards = plan.Pages.Sum(p => p.Shards.Count);
            LogPlanned(logger, JobId, plan.Total, shards, plan.Pages.Count);
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
    }

    /// <summary>The silo this job was being planned on died before its plan was stored: it is planned again here.</summary>
    private async Task PlanAgainAsync()
    {
        _planAgain?.Dispose();
        _planAgain = null;
        if (Job.State == JobState.Planning)
        {
            LogPlanningAgain(logger, JobId);
            await PlanAsync(null);
        }
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

        // Workers holding shards learn it at their next renewal, which finds nothing held.
        _held.Clear();
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

        var settled = await SettleAsync();
        var changed = await ExpireLeasesAsync() || settled;
        var now = clock.GetUtcNow();
        var leases = new List<ShardLease>();

        // Pages with regions and stitches of large images waiting first, then the others, each in order.
        var pages = Enumerable.Range(0, Job.Pages.Count).Where(i => Job.Pages[i].Pending > 0).OrderBy(i => Job.Pages[i].UrgentPending > 0 ? 0 : 1).ToList();
        foreach (var index in pages)
        {
            if (leases.Count >= maxShards)
            {
                break;
            }

            var got = await AskAsync(index, page => page.LeaseAsync(workerId, maxShards - leases.Count));
            Job.Pages[index] = got.Progress;
            foreach (var shard in got.Shards)
            {
                var lease = Hold(index, shard, now + Job.Spec!.LeaseDuration);
                leases.Add(new ShardLease
                {
                    JobId = JobId,
                    Page = index,
                    ShardId = shard.ShardId,
                    LeaseId = shard.LeaseId,
                    Spec = Job.Spec,
                    Images = shard.Images,
                    ExpiresAt = lease.Expires,
                    Region = shard.Region,
                    Stitch = shard.Stitch,
                    TraceParent = Job.TraceParent,
                });
            }
        }

        if (leases.Count > 0 || changed)
        {
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
        // Renewals are kept in memory only: if this grain moves, the next activation gives every held
        // shard a full lease again, so a worker that died meanwhile costs at most one lease's wait.
        var lost = new List<ShardLeaseRef>();
        var until = clock.GetUtcNow() + (Job.Spec?.LeaseDuration ?? TimeSpan.Zero);
        foreach (var lease in leases)
        {
            var held = Holding(workerId, lease);
            if (held is null || Job.State != JobState.Running)
            {
                lost.Add(lease);
                continue;
            }

            held.Expires = until;
        }

        return Task.FromResult<IReadOnlyList<ShardLeaseRef>>(lost);
    }

    public async Task CompleteAsync(ShardResult result)
    {
        if (Holding(result.WorkerId, result.Lease) is null || Job.State != JobState.Running)
        {
            LogStaleResult(logger, JobId, result.Lease.Page, result.Lease.ShardId, result.WorkerId);
            await RemoveLatePartsAsync(result);
            return;
        }

        var change = await AskAsync(result.Lease.Page, page => page.CompleteAsync(result));
        _held.Remove((result.Lease.Page, result.Lease.ShardId));
        Apply(result.Lease.Page, change);
        Publish();
        await FinishIfDoneAsync();
    }

    public async Task ReleaseAsync(string workerId, IReadOnlyList<ShardLeaseRef> leases)
    {
        var released = false;
        foreach (var page in leases.Where(lease => Holding(workerId, lease) is not null).GroupBy(lease => lease.Page))
        {
            Job.Pages[page.Key] = await AskAsync(page.Key, grain => grain.ReleaseAsync([.. page]));
            foreach (var lease in page)
            {
                _held.Remove((lease.Page, lease.ShardId));
            }

            released = true;
        }

        if (released)
        {
            Publish();
        }
    }

    private IJobPageGrain Page(int index) => GrainFactory.GetGrain<IJobPageGrain>(index, JobId);

    /// <summary>Calls a page; when the call fails, the page is marked unsure, since it may have done the work all the same.</summary>
    private async Task<T> AskAsync<T>(int index, Func<IJobPageGrain, Task<T>> call)
    {
        try
        {
            return await call(Page(index));
        }
        catch
        {
            _unsure.Add(index);
            throw;
        }
    }

    /// <summary>
    /// Reads back what each unsure page holds. A shard it has out that no worker was told of (the
    /// answer to its lease was lost) goes back at once, without costing its images a try; a shard
    /// the job took for held that the page no longer has out is dropped, so its worker stops.
    /// </summary>
    /// <returns>Whether any page was read back: a page that did finish a shard may have ended the job.</returns>
    private async Task<bool> SettleAsync()
    {
        var settled = _unsure.Count > 0;
        foreach (var index in _unsure.ToList())
        {
            var page = await Page(index).RecoverAsync(0);
            Job.Pages[index] = page.Progress;
            var unknown = page.Held.Where(s => !_held.TryGetValue((index, s.ShardId), out var held) || held.Lease.LeaseId != s.LeaseId).ToList();
            if (unknown.Count > 0)
            {
                LogUnclaimedReturned(logger, JobId, index, unknown.Count);
                Job.Pages[index] = await Page(index).ReleaseAsync([.. unknown.Select(s => new ShardLeaseRef(index, s.ShardId, s.LeaseId))]);
            }

            foreach (var key in _held.Keys.Where(k => k.Page == index && !page.Held.Any(s => s.ShardId == k.Shard && s.LeaseId == _held[k].Lease.LeaseId)).ToList())
            {
                _held.Remove(key);
            }

            _unsure.Remove(index);
        }

        return settled;
    }

    private HeldShard? Holding(string workerId, ShardLeaseRef lease) =>
        _held.TryGetValue((lease.Page, lease.ShardId), out var held) && held.Lease.LeaseId == lease.LeaseId && held.Worker == workerId
            ? held
            : null;

    private HeldShard Hold(int page, PageShard shard, DateTimeOffset expires)
    {
        var held = new HeldShard
        {
            Lease = new ShardLeaseRef(page, shard.ShardId, shard.LeaseId),
            Worker = shard.Worker,
            Expires = expires,
            Images = shard.Images.Count,
            RegionOf = shard.Region?.Image,
        };
        _held[(page, shard.ShardId)] = held;
        return held;
    }

    /// <summary>Takes in what a page call changed: its counts, its new failures, and shards it closed under their workers.</summary>
    private void Apply(int page, PageChange change)
    {
        Job.Pages[page] = change.Progress;
        Job.FirstFailures.AddRange(change.NewFailures.Take(JobStatus.FailuresListed - Job.FirstFailures.Count));
        foreach (var shard in change.Closed)
        {
            _held.Remove((page, shard));
        }
    }

    /// <summary>Puts back shards whose worker stopped renewing; the page counts the try against their images.</summary>
    private async Task<bool> ExpireLeasesAsync()
    {
        var now = clock.GetUtcNow();
        var expired = _held.Values.Where(h => h.Expires <= now).ToList();
        foreach (var held in expired)
        {
            LogLeaseExpired(logger, JobId, held.Lease.Page, held.Lease.ShardId, held.Worker);
            var change = await AskAsync(held.Lease.Page, page => page.ExpireAsync(held.Lease));
            _held.Remove((held.Lease.Page, held.Lease.ShardId));
            Apply(held.Lease.Page, change);
        }

        return expired.Count > 0;
    }

    /// <summary>
    /// Reads the job's progress back from its pages: their counts, the shards they have out (each
    /// given a full lease from now, since renewals were not persisted) and the first failures.
    /// </summary>
    private async Task RecoverAsync()
    {
        var pages = await ForEachPageAsync(Job.Pages.Count, index => Page(index).RecoverAsync(JobStatus.FailuresListed));
        var expires = clock.GetUtcNow() + Job.Spec!.LeaseDuration;
        for (var index = 0; index < pages.Count; index++)
        {
            Job.Pages[index] = pages[index].Progress;
            foreach (var shard in pages[index].Held)
            {
                Hold(index, shard, expires);
            }
        }

        Job.FirstFailures = [.. pages.SelectMany(p => p.FirstFailures).Take(JobStatus.FailuresListed)];
    }

    /// <summary>Calls every page, <see cref="PagesAtOnce"/> at a time, and gives their answers in page order.</summary>
    private static async Task<List<T>> ForEachPageAsync<T>(int pages, Func<int, Task<T>> call)
    {
        var answers = new List<T>(pages);
        for (var first = 0; first < pages; first += PagesAtOnce)
        {
            answers.AddRange(await Task.WhenAll(Enumerable.Range(first, Math.Min(PagesAtOnce, pages - first)).Select(call)));
        }

        return answers;
    }

    /// <summary>Removes every stored region part of the job: once it has ended they are of no use and would be partial files.</summary>
    private async Task RemovePartsAsync(IEnumerable<PageOutcome> pages)
    {
        foreach (var (image, count) in pages.SelectMany(p => p.Regioned))
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
        if (Job.State != JobState.Running || Job.Pages.Any(p => p.Open > 0))
        {
            return;
        }

        var counts = Counts();
        Job.State = counts.Failed == 0 ? JobState.Completed : JobState.CompletedWithFailures;
        Job.Finished = clock.GetUtcNow();
        await EndAsync();
        LogFinished(logger, JobId, Job.State, counts.Segmented, counts.Failed);
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
            var pages = await ForEachPageAsync(Job.Pages.Count, index => Page(index).GetOutcomeAsync());
            await WriteReportAsync(pages);
            await RemovePartsAsync(pages);
        }
        finally
        {
            _reporting = false;
            Publish();
        }
    }

    private async Task WriteReportAsync(IReadOnlyList<PageOutcome> pages)
    {
        var report = JobReportBuilder.Build(JobId, Job, pages, clock.GetUtcNow());
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

        var counts = Counts();
        using var span = ClusterTelemetry.Traces.StartActivity("job.run", ActivityKind.Internal, parent, startTime: Job.Started ?? clock.GetUtcNow());
        span?.SetTag("unetpp.job", JobId);
        span?.SetTag("unetpp.state", ClusterMetrics.Label(Job.State));
        span?.SetTag("unetpp.images.done", counts.Segmented);
        span?.SetTag("unetpp.images.failed", counts.Failed);
        span?.SetTag("unetpp.tiles", counts.Tiles);
    }

    /// <summary>The job's counts: the sum of its pages'.</summary>
    private JobCounts Counts() => new(Job.Pages.Sum(p => p.Segmented), Job.Pages.Sum(p => p.Failed), Job.Pages.Sum(p => p.Tiles));

    private JobStatus Status()
    {
        if (Job.Spec is null)
        {
            return new JobStatus { JobId = JobId, State = JobState.Unknown };
        }

        var now = clock.GetUtcNow();
        var counts = Counts();
        var elapsed = ((Job.Finished ?? now) - (Job.Started ?? now)).TotalSeconds;
        var held = _held.Values.Where(h => h.Expires > now).ToList();
        return new JobStatus
        {
            JobId = JobId,
            State = _reporting ? JobState.Running : Job.State,
            Total = Job.Total,
            Done = counts.Segmented,
            Failed = counts.Failed,
            // A large image's regions are leased apart but make one image in progress.
            InProgress = held.Where(h => h.RegionOf is null).Sum(h => h.Images) + held.Select(h => h.RegionOf).OfType<string>().Distinct().Count(),
            ImagesPerSecond = elapsed > 0 ? (counts.Segmented + counts.Failed) / elapsed : 0,
            Started = Job.Started,
            Finished = _reporting ? null : Job.Finished,
            Failures = [.. Job.FirstFailures],
            Error = Job.Error,
            Spec = Job.Spec,
            Coordinator = silo.SiloAddress.Endpoint.ToString(),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Images} image(s) in {Shards} shard(s) on {Pages} page(s).")]
    private static partial void LogPlanned(ILogger logger, string jobId, int images, int shards, int pages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: page {Page} had {Shards} shard(s) out whose lease never reached a worker; they go back in the queue.")]
    private static partial void LogUnclaimedReturned(ILogger logger, string jobId, int page, int shards);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was being planned when its silo stopped; planning it again.")]
    private static partial void LogPlanningAgain(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} cannot run: {Error}")]
    private static partial void LogFailed(ILogger logger, string jobId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the lease of shard {Page}.{ShardId} held by {Worker} expired; the shard goes back in the queue.")]
    private static partial void LogLeaseExpired(ILogger logger, string jobId, int page, int shardId, string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: ignored a result for shard {Page}.{ShardId} from {Worker}, which no longer holds it.")]
    private static partial void LogStaleResult(ILogger logger, string jobId, int page, int shardId, string worker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: writing over the results of job {Previous}, as --overwrite allows.")]
    private static partial void LogOverwriting(ILogger logger, string jobId, string previous);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: region {Index} of {Image} could not be removed from the output ({Reason}).")]
    private static partial void LogPartNotRemoved(ILogger logger, string jobId, string image, int index, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {State}: {Done} segmented, {Failed} failed.")]
    private static partial void LogFinished(ILogger logger, string jobId, JobState state, int done, int failed);

    private readonly record struct JobCounts(int Segmented, int Failed, long Tiles);
}
