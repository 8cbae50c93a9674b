using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// The coordinator of one job: it plans the job into pages of shards, leases them to workers that
/// pull, and ends the job when the last shard is done. Results of a stale lease are ignored and
/// outputs have fixed names, so a shard done twice writes the same bytes: at-least-once work,
/// exactly-once results. The plan is kept in pages (<see cref="JobPageGrain"/>) of a few hundred
/// images each, so this grain's own state, and what a completion rewrites, stay small however many
/// images the job has. Who holds what is the <see cref="LeaseTable"/>'s; the output (its claim, the
/// report, the band parts) is the <see cref="JobOutput"/>'s. The SAS of the job's locations is
/// kept in memory and, sealed, in storage (<see cref="CredentialSeal"/>): never in clear at rest.
/// </summary>
public sealed partial class JobGrain(
    [PersistentState("job", JobGrain.StorageName)] IPersistentState<JobRecord> record,
    IDatasetStorage datasets,
    ClusterMetrics metrics,
    Orleans.Runtime.ILocalSiloDetails silo,
    Microsoft.Extensions.Options.IOptions<JobOptions> options,
    Microsoft.Extensions.Options.IOptions<Workers.WorkerOptions> workers,
    CredentialSeal seal,
    TimeProvider clock,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    /// <summary>The grain-storage provider jobs are kept in.</summary>
    public const string StorageName = "jobs";

    /// <summary>How long a cancelled job waits, at most, for the images its workers are writing (less when its leases are shorter).</summary>
    public static readonly TimeSpan CancelDrain = TimeSpan.FromSeconds(10);

    /// <summary>The job's spec with its SAS, as submitted: in memory only, for workers and for the job's own storage calls.</summary>
    private JobSpec? _spec;

    /// <summary>Set once another activation of the job is found to have written its state (see <see cref="SaveAsync"/>).</summary>
    private bool _superseded;

    private JobPages? _pages;
    private LeaseTable? _leases;
    private JobOutput? _output;

    /// <summary>Set while a plan waits to be made again (see <see cref="PlanAgainAsync"/>) or its pages to take it (see <see cref="StartOrRetryAsync"/>).</summary>
    private IGrainTimer? _planAgain;
    private readonly RetryWait _planWait = new();

    /// <summary>When listing the input first found its storage not answering, while it still does not (see <see cref="PlanAsync"/>).</summary>
    private DateTimeOffset? _inputUnanswered;
    private IGrainTimer? _reportAgain;
    private readonly RetryWait _reportWait = new();

    /// <summary>Set while the job waits to be put on the cluster's queue again (see <see cref="AnnounceOrRetryAsync"/>).</summary>
    private IGrainTimer? _announceAgain;
    private readonly RetryWait _announceWait = new();

    /// <summary>Set while a cancelled job waits for the images being written to land (see <see cref="EndCancelledWhenDrainedAsync"/>).</summary>
    private IGrainTimer? _drain;

    /// <summary>The job has ended and its report is being written (see <see cref="EndAsync"/>).</summary>
    private bool _reporting;

    private JobRecord Job => record.State;

    private string JobId => this.GetPrimaryKeyString();

    private JobPages Pages => _pages ??= new JobPages(index => GrainFactory.GetGrain<IJobPageGrain>(index, JobId));

    private LeaseTable Leases => _leases ??= new LeaseTable(JobId, Job, Pages, clock, logger);

    private JobOutput Output => _output ??= new JobOutput(JobId, datasets, logger);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Job.Spec is not null && !await OpenSasAsync())
        {
            Publish();
            return;
        }

        if (Job.State is JobState.Running or JobState.Planning && Job.CancelRequested is not null)
        {
            // Cancelled on a silo that died during the drain (the images being written then are lost to it), or
            // before a job still being planned had ended: it ends now rather than being planned again.
            _drain = this.RegisterGrainTimer(_ => EndCancelledAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        else if (Job.State == JobState.Running)
        {
            await Leases.RecoverAsync();

            // On the queue again, in case the silo that planned it died, or the queue refused it, before it was
            // there; and ended, if its pages finished while it moved.
            _announceAgain = this.RegisterGrainTimer(_ => AnnounceAgainAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        else if (Job.ReportPending)
        {
            // Status says running until the report is there, as it did on the silo that died.
            _reporting = true;
            _reportAgain = this.RegisterGrainTimer(_ => ReportAgainAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        else if (Job.State == JobState.Planning)
        {
            // In a turn of its own, as soon as the activation is done: planning lists the whole input.
            LogPlanningAgain(logger, JobId);
            _planAgain = this.RegisterGrainTimer(_ => PlanAgainAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        // A job whose coordinator moved here (its silo died) is counted here from now on.
        if (Job.State is JobState.Planning or JobState.Running || Job.ReportPending)
        {
            LogCoordinatingHere(logger, JobId, Job.State);
        }

        Publish();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.JobGone(JobId);
        return Task.CompletedTask;
    }

    public async Task<JobStatus> SubmitAsync(JobSpec spec)
    {
        if (Job.Spec is not null && !(Status().IsFinished && spec.Continues))
        {
            // The same job submitted again (a retrying client) is the same job; a different one may not reuse the id.
            return _spec == spec
                ? Status()
                : throw new ArgumentException($"job {JobId} already exists with a different specification; choose another job id.");
        }

        spec.Validate();
        if (spec.Normalize is { } normalize)
        {
            // Refused here, for every client, rather than on each image once workers have it.
            NormalizationChoice.Parse(normalize);
        }

        if (spec.Channels is { } channels)
        {
            ChannelChoice.Parse(channels);
        }

        if (spec.Pages is { } pages)
        {
            PageChoice.Parse(pages);
        }

        // As the normalisation: a format no worker could write is refused before the job starts.
        MaskFormats.Of(spec.MaskFormat);

        if (OutputPlacement.WhyRefused(spec) is { } refusal)
        {
            throw new ArgumentException(refusal);
        }

        // Sealed before the output is claimed: a cluster that cannot keep the SAS safely refuses the job untouched.
        var (stored, sealedSas) = seal.Seal(JobId, spec);

        // Compared bare: a job continued with a new SAS (the first expired) goes on into the same output.
        if (Job.Spec is not null && Job.Spec.Output != stored.Output)
        {
            throw new ArgumentException($"job {JobId} wrote to {Job.Spec.Output}; it can only continue there.");
        }

        // An ended job continued under its own id is a new run of it, into the same output.
        var claim = await Output.ClaimAsync(spec);
        record.State = new JobRecord { Previous = claim.Previous, Retry = claim.Retry is null ? null : [.. claim.Retry] };
        _leases = null;
        using var span = ClusterTelemetry.Traces.StartActivity("job");
        span?.SetTag("unetpp.job", JobId);
        span?.SetTag("unetpp.input", stored.Input);
        span?.SetTag("unetpp.output", stored.Output);
        Job.Spec = stored;
        Job.SealedSas = sealedSas;
        _spec = spec;
        Job.State = JobState.Planning;
        Job.Submitted = clock.GetUtcNow();
        Job.TraceParent = span?.Id;
        await SaveAsync();
        Publish();
        await PlanAsync(span);
        return Status();
    }

    public Task<JobStatus> GetStatusAsync() => Task.FromResult(Status());

    public async Task<string?> GetReportAsync() =>
        Job.Spec is null || !Status().IsFinished ? null : await Output.ReadReportAsync(_spec!);

    public async Task<JobStatus> CancelAsync()
    {
        if (Job.Spec is null || Status().IsFinished)
        {
            return Status();
        }

        if (Job.CancelRequested is null)
        {
            Job.CancelRequested = clock.GetUtcNow();
            await SaveAsync();

            // Off the queue at once: workers see it within a poll and start no more of its images.
            await GrainFactory.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).RetireAsync(JobId);
            LogCancelling(logger, JobId);

            // Its images no longer wait for anyone: an autoscaler must not start silos for them.
            Publish();
        }

        await EndCancelledWhenDrainedAsync();
        return Status();
    }

    public async Task<IReadOnlyList<ShardLease>> LeaseAsync(string workerId, int maxShards)
    {
        if (Job.State != JobState.Running || Job.CancelRequested is not null || maxShards < 1)
        {
            return [];
        }

        var round = await Leases.LeaseAsync(workerId, maxShards);
        if (round.Shards.Count > 0 || round.Changed)
        {
            Publish();
        }

        if (round.Changed)
        {
            await FinishIfDoneAsync();
        }

        return [.. round.Shards.Select(granted => new ShardLease
        {
            JobId = JobId,
            Page = granted.Page,
            ShardId = granted.Shard.ShardId,
            LeaseId = granted.Shard.LeaseId,
            Spec = _spec!,
            Work = granted.Shard.Work,
            ExpiresAt = granted.Expires,
            TraceParent = Job.TraceParent,
        })];
    }

    public Task<IReadOnlyList<ShardLeaseRef>> RenewAsync(string workerId, IReadOnlyList<ShardLeaseRef> leases) =>
        // Renewals are kept in memory only: if this grain moves, the next activation gives every held
        // shard a full lease again, so a worker that died meanwhile costs at most one lease's wait.
        Task.FromResult(Job.State == JobState.Running ? Leases.Renew(workerId, leases) : leases);

    public async Task CompleteAsync(ShardResult result)
    {
        if (!Leases.Holds(result.WorkerId, result.Lease) || Job.State != JobState.Running)
        {
            LogStaleResult(logger, JobId, result.Lease.Page, result.Lease.ShardId, result.WorkerId);
            if (_spec is not null && Job.State != JobState.Running)
            {
                // A band stored after the job ended (cancelled while it ran) is of no use any more.
                await Output.RemoveLateBandPartsAsync(_spec, result);
            }

            return;
        }

        await Leases.CompleteAsync(result);
        Publish();
        if (Job.CancelRequested is not null)
        {
            await EndCancelledWhenDrainedAsync();
        }
        else
        {
            await FinishIfDoneAsync();
        }
    }

    public async Task ReleaseAsync(string workerId, IReadOnlyList<ShardLeaseRef> leases)
    {
        if (await Leases.ReleaseAsync(workerId, leases))
        {
            Publish();
        }
    }

    /// <summary>
    /// Lists the input and stores the plan's pages, or fails the job with what is wrong with its input.
    /// Pages take their plan again whole, so a plan cut short by its silo's death is simply made again.
    /// Storage that does not answer is waited out as workers wait it out (<c>Inference:StorageOutageTolerance</c>):
    /// the job stays planning and lists again after a wait that doubles up to a minute.
    /// </summary>
    private async Task PlanAsync(Activity? span)
    {
        JobPlan plan;
        try
        {
            plan = await JobPlan.CreateAsync(_spec!, options.Value.ImagesPerPage, datasets, Job.Retry, CancellationToken.None);
            _inputUnanswered = null;
            _planWait.Reset();
        }
        catch (Exception ex) when (StorageFaults.IsUnavailable(ex) && WaitsOutStorage())
        {
            LogInputUnanswered(logger, JobId, ex.Message.TrimEnd('.'), _planWait.Current.TotalSeconds);
            _planAgain = this.RegisterGrainTimer(_ => PlanAgainAsync(), _planWait.Current, Timeout.InfiniteTimeSpan);
            _planWait.Lengthen();
            return;
        }
        catch (Exception ex)
        {
            var unanswered = StorageFaults.IsUnavailable(ex) && _inputUnanswered is { } since ? $"its storage did not answer for {(int)(clock.GetUtcNow() - since).TotalSeconds} s: " : "";
            Job.State = JobState.Failed;
            Job.Error = $"{Job.Spec!.Input}: {unanswered}{ex.Message}";
            span?.SetStatus(ActivityStatusCode.Error, Job.Error);
            Job.Finished = clock.GetUtcNow();
            LogFailed(logger, JobId, Job.Error);
            await SaveAsync();
            Publish();
            return;
        }

        await StartOrRetryAsync(plan);
    }

    /// <summary>Whether planning goes on waiting for the input's storage: not past <c>Inference:StorageOutageTolerance</c> since it first did not answer.</summary>
    private bool WaitsOutStorage()
    {
        _inputUnanswered ??= clock.GetUtcNow();
        return clock.GetUtcNow() - _inputUnanswered.Value < workers.Value.StorageOutageTolerance;
    }

    /// <summary>
    /// Gives each page its part of the plan and starts the job. A page that cannot take it now (placed on a
    /// silo that just left the cluster, storage out of reach) is the cluster's trouble, not the input's: the
    /// job stays planning and gives the pages the same plan again after a wait that doubles up to a minute.
    /// </summary>
    private async Task StartOrRetryAsync(JobPlan plan)
    {
        try
        {
            var rules = PageRules.Of(_spec!);
            Job.Pages = [.. await Pages.ForEachAsync(plan.Pages.Count, (index, page) => page.PlanAsync(rules, plan.Pages[index]))];
            _planWait.Reset();
        }
        catch (Exception ex)
        {
            LogPlanDelayed(logger, JobId, ex.Message, _planWait.Current.TotalSeconds);
            _planAgain = this.RegisterGrainTimer(_ => StartAgainAsync(plan), _planWait.Current, Timeout.InfiniteTimeSpan);
            _planWait.Lengthen();
            return;
        }

        Job.Total = plan.Total;
        Job.FirstFailures = [.. plan.Pages.SelectMany(p => p.Refused).Take(JobStatus.FailuresListed)];
        Job.State = JobState.Running;
        Job.Started = clock.GetUtcNow();
        var shards = plan.Pages.Sum(p => p.Shards.Count);
        LogPlanned(logger, JobId, plan.Total, shards, plan.Pages.Count);
        await SaveAsync();
        Publish();
        await AnnounceOrRetryAsync();
        await FinishIfDoneAsync();
    }

    private async Task StartAgainAsync(JobPlan plan)
    {
        _planAgain?.Dispose();
        _planAgain = null;
        if (Job.State == JobState.Planning)
        {
            await StartOrRetryAsync(plan);
        }
    }

    private async Task AnnounceAgainAsync()
    {
        _announceAgain?.Dispose();
        _announceAgain = null;
        if (Job.State == JobState.Running && Job.CancelRequested is null)
        {
            await AnnounceOrRetryAsync();

            // Its last shards may have finished on their pages while its coordinator moved, their answers
            // lost on the way: nothing is open when it activates again, and no result will come to end it.
            await FinishIfDoneAsync();
        }
    }

    /// <summary>
    /// Puts the running job on the cluster's queue, where workers find it. When the queue cannot take it now
    /// (storage out of reach, the queue moving between silos), the job is planned and stored all the same,
    /// and is put on the queue again after a wait that doubles up to a minute, until it is there: a job left
    /// off the queue would wait for ever with no worker knowing of it.
    /// </summary>
    private async Task AnnounceOrRetryAsync()
    {
        try
        {
            await GrainFactory.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).AnnounceAsync(JobId, Job.Spec!.Priority);
            _announceWait.Reset();
        }
        catch (Exception ex)
        {
            LogAnnounceDelayed(logger, JobId, ex.Message, _announceWait.Current.TotalSeconds);
            _announceAgain = this.RegisterGrainTimer(_ => AnnounceAgainAsync(), _announceWait.Current, Timeout.InfiniteTimeSpan);
            _announceWait.Lengthen();
        }
    }

    /// <summary>The job is planned again: its silo died before the plan was stored, or its input's storage did not answer.</summary>
    private async Task PlanAgainAsync()
    {
        _planAgain?.Dispose();
        _planAgain = null;
        if (Job.State == JobState.Planning && Job.CancelRequested is null)
        {
            await PlanAsync(null);
        }
    }

    /// <summary>
    /// Ends a cancelled job as soon as no worker holds a shard of it, or at the latest after
    /// <see cref="CancelDrain"/>: the workers finish the images they have started, start no more, and
    /// report them, so the report counts every image whose outputs were written.
    /// </summary>
    private async Task EndCancelledWhenDrainedAsync()
    {
        if (Leases.ImagesInProgress() == 0 || Job.State != JobState.Running)
        {
            await EndCancelledAsync();
        }
        else
        {
            var drain = Job.Spec!.LeaseDuration < CancelDrain ? Job.Spec.LeaseDuration : CancelDrain;
            _drain ??= this.RegisterGrainTimer(_ => EndCancelledAsync(), Job.CancelRequested!.Value + drain - clock.GetUtcNow(), Timeout.InfiniteTimeSpan);
        }
    }

    private async Task EndCancelledAsync()
    {
        _drain?.Dispose();
        _drain = null;
        if (Status().IsFinished || _reporting)
        {
            return;
        }

        // A shard still held now is past the drain: its results come too late and are ignored.
        Leases.Clear();
        Job.State = JobState.Cancelled;
        Job.Finished = clock.GetUtcNow();
        await EndAsync();
        var counts = Counts();
        LogFinished(logger, JobId, Job.State, counts.Segmented, counts.Failed);
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
    /// Persists the job's end, takes it off the queue, writes its report and removes its band parts.
    /// Status calls, which run between this grain's turns, see the job as running until the report is
    /// there: a client that sees it finished can read its report at once.
    /// </summary>
    private async Task EndAsync()
    {
        _reporting = true;
        Job.ReportPending = true;
        TraceRun();
        await ReportOrRetryAsync();
    }

    /// <summary>The job ended, but its report is not written yet (its coordinator died first, or storage was out of reach): it is written here.</summary>
    private async Task ReportAgainAsync()
    {
        _reportAgain?.Dispose();
        _reportAgain = null;
        await ReportOrRetryAsync();
    }

    /// <summary>
    /// Writes the report of the ended job. A finished page is read back from storage for it, and the job's
    /// end is persisted first: when storage is out of reach, a step fails, status goes on saying running,
    /// and the report is written again after a wait that doubles up to a minute, until it is there.
    /// </summary>
    private async Task ReportOrRetryAsync()
    {
        try
        {
            await SaveAsync();
            await ReportAsync();
            _reporting = false;
            _reportWait.Reset();
        }
        catch (Exception ex) when (!_superseded)
        {
            LogReportDelayed(logger, JobId, ex.Message, _reportWait.Current.TotalSeconds);
            _reportAgain = this.RegisterGrainTimer(_ => ReportAgainAsync(), _reportWait.Current, Timeout.InfiniteTimeSpan);
            _reportWait.Lengthen();
        }
        finally
        {
            Publish();
        }
    }

    /// <summary>Takes the ended job off the queue, writes its report and object tables, and removes its band parts: each step as often as it takes.</summary>
    private async Task ReportAsync()
    {
        await GrainFactory.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).RetireAsync(JobId);
        var pages = await Pages.ForEachAsync(Job.Pages.Count, (_, page) => page.GetOutcomeAsync());
        var report = JobReportBuilder.Build(JobId, Job, pages, clock.GetUtcNow());
        var problems = (await Output.WriteObjectTableAsync(_spec!, report)).Concat(await Output.WriteReportAsync(_spec!, report)).ToList();
        if (problems.Count > 0)
        {
            // The job's results stand without the report; its status still says everything.
            Job.Error = string.Join("; ", problems);
        }

        await Output.RemoveBandPartsAsync(_spec!, pages);
        Job.ReportPending = false;
        await SaveAsync();
    }

    /// <summary>
    /// Puts the job's SAS back on its locations, in memory only. A job whose SAS this silo cannot open
    /// cannot reach its data: unless it has ended, it fails with the reason, and what it finished stays
    /// for <c>--resume</c>. False when it failed here.
    /// </summary>
    private async Task<bool> OpenSasAsync()
    {
        try
        {
            _spec = seal.Open(JobId, Job.Spec!, Job.SealedSas);
            return true;
        }
        catch (CryptographicException ex)
        {
            _spec = Job.Spec;
            if (Job.State is not (JobState.Planning or JobState.Running))
            {
                return true;
            }

            Job.State = JobState.Failed;
            Job.Error = $"job {JobId} cannot reach its data: {ex.Message} Its finished images stay; submit it again with --resume and the SAS.";
            Job.Finished = clock.GetUtcNow();
            await SaveAsync();
            await GrainFactory.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).RetireAsync(JobId);
            LogFailed(logger, JobId, Job.Error);
            return false;
        }
    }

    /// <summary>
    /// Persists the job's state. Storage refuses the write when another activation of the job has written
    /// since this one read it: while the cluster's membership changes, Orleans can briefly run a grain on two
    /// silos. This one is then a stale copy: it stops counting the job in this silo's metrics at once (the
    /// other silo counts it), schedules nothing more, and leaves, so the next call finds the live state.
    /// </summary>
    private async Task SaveAsync()
    {
        try
        {
            await record.WriteStateAsync();
        }
        catch (Orleans.Storage.InconsistentStateException)
        {
            _superseded = true;
            metrics.JobGone(JobId);
            LogSuperseded(logger, JobId);
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>Puts the job's progress in this silo's metrics, unless this activation is a stale copy.</summary>
    private void Publish()
    {
        if (Job.Spec is not null && !_superseded)
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
        return new JobStatus
        {
            JobId = JobId,
            State = _reporting ? JobState.Running : Job.State,
            Total = Job.Total + Job.Pages.Sum(p => p.AddedImages),
            Done = counts.Segmented,
            Failed = counts.Failed,
            InProgress = Leases.ImagesInProgress(),
            // Skipped images took no work: counting them would flatter the rate of a resumed job.
            ImagesPerSecond = elapsed > 0 ? (counts.Segmented - Job.Pages.Sum(p => p.Skipped) + counts.Failed) / elapsed : 0,
            Started = Job.Started,
            Finished = _reporting ? null : Job.Finished,
            Failures = [.. Job.FirstFailures],
            Error = Job.Error,
            Spec = Job.Spec,
            Coordinator = silo.SiloAddress.Endpoint.ToString(),
            Skipped = Job.Pages.Sum(p => p.Skipped),
            LeftOut = Job.Pages.Sum(p => p.LeftOut),
            Cancelling = Job.CancelRequested is not null && (_reporting || Job.State == JobState.Running),
        };
    }

    private readonly record struct JobCounts(int Segmented, int Failed, long Tiles);
}
