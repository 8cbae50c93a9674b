using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Regions;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// One page of a job's plan (key: the page's number, with the job id as extension). Only the
/// job's grain calls it, one call at a time: the page keeps its images' shards, tries and
/// outcomes, and answers with its counts.
/// </summary>
[Alias("unetpp.IJobPageGrain")]
public interface IJobPageGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Takes the page's part of the plan, whole: a job is planned again only when its planning was cut short, before any lease.</summary>
    [Alias("Plan")]
    Task<PageProgress> PlanAsync(PageRules rules, PagePlan plan);

    [Alias("Lease")]
    Task<PageLeases> LeaseAsync(string workerId, int maxShards);

    /// <summary>Takes a shard's results, if the page still has the shard out under that lease.</summary>
    [Alias("Complete")]
    Task<PageChange> CompleteAsync(ShardResult result);

    /// <summary>A lease its worker stopped renewing: its images' try counts, and the shard goes back.</summary>
    [Alias("Expire")]
    Task<PageChange> ExpireAsync(ShardLeaseRef lease);

    [Alias("Release")]
    Task<PageProgress> ReleaseAsync(IReadOnlyList<ShardLeaseRef> leases);

    /// <summary>The page's counts, the shards it has out and its first failures, for a job grain that has just activated.</summary>
    [Alias("Recover")]
    Task<PageRecovery> RecoverAsync(int failures);

    [Alias("GetOutcome")]
    Task<PageOutcome> GetOutcomeAsync();
}

/// <summary>
/// The shards of one page of a job and how its images fared. An image a worker finds above the
/// job's region size is cut into region shards here, and its stitch shard follows once every
/// region is stored: a large image's shards stay on its page.
/// </summary>
public sealed partial class JobPageGrain(
    [PersistentState("page", JobGrain.StorageName)] IPersistentState<JobPageRecord> record,
    ILogger<JobPageGrain> logger) : Grain, IJobPageGrain
{
    private JobPageRecord Page => record.State;

    private string JobId
    {
        get
        {
            this.GetPrimaryKeyLong(out var jobId);
            return jobId!;
        }
    }

    public async Task<PageProgress> PlanAsync(PageRules rules, PagePlan plan)
    {
        record.State = new JobPageRecord { Rules = rules, Shards = plan.Shards, Failures = plan.Refused };
        await SaveAsync();
        return Progress();
    }

    public async Task<PageLeases> LeaseAsync(string workerId, int maxShards)
    {
        var shards = new List<PageShard>();
        foreach (var shard in Page.Shards.Where(s => s.State == ShardState.Pending).OrderBy(s => s.Priority).ThenBy(s => s.Id).Take(maxShards).ToList())
        {
            shard.State = ShardState.Leased;
            shard.LeaseId = Guid.NewGuid();
            shard.Worker = workerId;
            shard.Leases++;
            shards.Add(Held(shard));
        }

        if (shards.Count > 0)
        {
            await SaveAsync();
        }

        return new PageLeases(shards, Progress());
    }

    public async Task<PageChange> CompleteAsync(ShardResult result)
    {
        var shard = Holding(result.Lease);
        if (shard is null || shard.Worker != result.WorkerId)
        {
            return new PageChange { Progress = Progress() };
        }

        var change = new Change();
        var rules = Page.Rules!;
        foreach (var image in result.Images.Where(i => shard.Images.Contains(i.Name) && !shard.Finished.Contains(i.Name)))
        {
            if (image.Summary is { } summary)
            {
                Page.Segmented[image.Name] = summary;
                shard.Finished.Add(image.Name);
                var silo = image.Silo ?? "unknown";
                Page.ImagesBySilo[silo] = Page.ImagesBySilo.GetValueOrDefault(silo) + 1;
                continue;
            }

            if (image.Oversized is { } size && shard.Region is null && shard.Stitch is null)
            {
                shard.Finished.Add(image.Name);
                CutIntoRegions(shard, image.Name, size, change);
                continue;
            }

            if (image.RegionStored == shard.Region?.Index && shard.Region is not null)
            {
                shard.Finished.Add(image.Name);
                continue;
            }

            var attempts = shard.Attempts[image.Name] = shard.Attempts.GetValueOrDefault(image.Name) + 1;
            var reason = image.FailureReason ?? "failed without a reason";
            if (!image.Retryable || attempts >= rules.MaxAttempts)
            {
                Fail(shard, image.Name, image.Retryable ? $"{reason} (after {attempts} attempts)" : reason, change);
            }
        }

        Page.Tiles += result.Tiles;
        Return(shard);
        if (shard is { State: ShardState.Done, Region: { } region })
        {
            StitchWhenComplete(region.Image);
        }

        await SaveAsync();
        return change.Of(Progress());
    }

    public async Task<PageChange> ExpireAsync(ShardLeaseRef lease)
    {
        var shard = Holding(lease);
        if (shard is null)
        {
            return new PageChange { Progress = Progress() };
        }

        // Each expiry counts as a try for the images still open, so an image that takes its silo
        // down with it cannot loop forever.
        var change = new Change();
        foreach (var image in shard.Unfinished.ToList())
        {
            var attempts = shard.Attempts[image] = shard.Attempts.GetValueOrDefault(image) + 1;
            if (attempts >= Page.Rules!.MaxAttempts)
            {
                Fail(shard, image, $"its worker stopped answering before it finished (lease expired) (after {attempts} attempts)", change);
            }
        }

        Return(shard);
        await SaveAsync();
        return change.Of(Progress());
    }

    public async Task<PageProgress> ReleaseAsync(IReadOnlyList<ShardLeaseRef> leases)
    {
        var released = false;
        foreach (var lease in leases)
        {
            if (Holding(lease) is { } shard)
            {
                shard.State = ShardState.Pending;
                shard.Worker = null;
                released = true;
            }
        }

        if (released)
        {
            await SaveAsync();
        }

        return Progress();
    }

    public Task<PageRecovery> RecoverAsync(int failures) => Task.FromResult(new PageRecovery(
        Progress(),
        [.. Page.Shards.Where(s => s.State == ShardState.Leased).Select(Held)],
        [.. Page.Failures.Take(failures)]));

    public Task<PageOutcome> GetOutcomeAsync() => Task.FromResult(new PageOutcome(
        new Dictionary<string, ImageSummary>(Page.Segmented, StringComparer.Ordinal),
        [.. Page.Failures],
        new Dictionary<string, int>(Page.Regioned, StringComparer.Ordinal)));

    /// <summary>
    /// Persists the page. When that fails, the page's memory is ahead of its storage: the
    /// activation is dropped so the caller's retry finds the page as stored and does the change again.
    /// </summary>
    private async Task SaveAsync()
    {
        try
        {
            await record.WriteStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private ShardRecord? Holding(ShardLeaseRef lease) =>
        lease.ShardId >= 0 && lease.ShardId < Page.Shards.Count && Page.Shards[lease.ShardId] is { State: ShardState.Leased } shard && shard.LeaseId == lease.LeaseId
            ? shard
            : null;

    private static void Return(ShardRecord shard)
    {
        shard.Worker = null;
        shard.State = shard.Unfinished.Any() ? ShardState.Pending : ShardState.Done;
    }

    private static PageShard Held(ShardRecord shard) => new()
    {
        ShardId = shard.Id,
        LeaseId = shard.LeaseId,
        Worker = shard.Worker!,
        Images = [.. shard.Unfinished],
        Region = shard.Region,
        Stitch = shard.Stitch,
    };

    private PageProgress Progress()
    {
        int pending = 0, urgent = 0, open = 0;
        foreach (var shard in Page.Shards)
        {
            if (shard.State == ShardState.Pending)
            {
                pending++;
                urgent += shard.Priority < 2 ? 1 : 0;
            }

            open += shard.State != ShardState.Done ? 1 : 0;
        }

        return new PageProgress
        {
            Pending = pending,
            UrgentPending = urgent,
            Open = open,
            Segmented = Page.Segmented.Count,
            Failed = Page.Failures.Count,
            Tiles = Page.Tiles,
            ImagesBySilo = new Dictionary<string, int>(Page.ImagesBySilo, StringComparer.Ordinal),
        };
    }

    /// <summary>Records an image's final failure; for a large image, its other regions and its stitch are dropped with it.</summary>
    private void Fail(ShardRecord shard, string image, string reason, Change change)
    {
        var where = shard.Region is { } r ? FormattableString.Invariant($"region {r.Index + 1} of {r.Count} ({r.Width}×{r.Height} at {r.X}, {r.Y}): ") : "";
        var failure = new ImageFailure(image, where + reason);
        Page.Failures.Add(failure);
        change.Failures.Add(failure);
        shard.Finished.Add(image);
        if (shard.Region is null && shard.Stitch is null)
        {
            return;
        }

        foreach (var other in Page.Shards.Where(s => s != shard && s.State != ShardState.Done && (s.Region?.Image == image || s.Stitch?.Image == image)))
        {
            if (other.State == ShardState.Leased)
            {
                change.Closed.Add(other.Id);
            }

            other.Finished.Add(image);
            other.Worker = null;
            other.State = ShardState.Done;
        }
    }

    private void CutIntoRegions(ShardRecord shard, string image, ImageSize size, Change change)
    {
        IReadOnlyList<Segmentation.Imaging.PixelRect> regions;
        try
        {
            regions = RegionPlanner.Split(size.Width, size.Height, size.TileSize, Page.Rules!.Overlap, Page.Rules.RegionSize);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            Fail(shard, image, $"its size {size.Width}×{size.Height} cannot be cut into regions ({ex.Message})", change);
            return;
        }

        Page.Regioned[image] = regions.Count;
        for (var index = 0; index < regions.Count; index++)
        {
            var region = regions[index];
            Page.Shards.Add(new ShardRecord
            {
                Id = Page.Shards.Count,
                Images = [image],
                Region = new ImageRegion { Image = image, Index = index, Count = regions.Count, X = region.X, Y = region.Y, Width = region.Width, Height = region.Height },
            });
        }

        LogCutIntoRegions(logger, JobId, image, size.Width, size.Height, regions.Count);
    }

    /// <summary>Adds the stitch shard once every region of the image is stored (and none failed).</summary>
    private void StitchWhenComplete(string image)
    {
        var regions = Page.Shards.Where(s => s.Region?.Image == image).ToList();
        if (regions.Any(s => s.State != ShardState.Done)
            || Page.Failures.Any(f => f.Name == image)
            || Page.Shards.Any(s => s.Stitch?.Image == image))
        {
            return;
        }

        Page.Shards.Add(new ShardRecord { Id = Page.Shards.Count, Images = [image], Stitch = new ImageStitch(image, regions.Count) });
    }

    /// <summary>What one call changed, gathered as it goes.</summary>
    private sealed class Change
    {
        public List<ImageFailure> Failures { get; } = [];

        public List<int> Closed { get; } = [];

        public PageChange Of(PageProgress progress) => new() { Progress = progress, NewFailures = Failures, Closed = Closed };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Image} is {Width}×{Height}, above the region size; cut into {Regions} region shard(s).")]
    private static partial void LogCutIntoRegions(ILogger logger, string jobId, string image, int width, int height, int regions);
}
