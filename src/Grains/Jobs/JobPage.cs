using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Bands;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// What one page of a job's plan does with its record: hands its shards out, takes their results,
/// counts each image's tries, and keeps the band path's shards of its large images. Plain logic
/// over <see cref="JobPageRecord"/>: <see cref="JobPageGrain"/> persists the record after every
/// change, and tests drive a page without a silo.
/// </summary>
internal sealed partial class JobPage(JobPageRecord record, string jobId, ILogger logger)
{
    public JobPageRecord Record => record;

    /// <summary>Hands out up to <paramref name="maxShards"/> waiting shards, the band path's first; changed when any was.</summary>
    public PageLeases Lease(string workerId, int maxShards, out bool changed)
    {
        var shards = new List<PageShard>();
        foreach (var shard in record.Shards.Where(s => s.State == ShardState.Pending).OrderBy(s => s.Priority).ThenBy(s => s.Id).Take(maxShards).ToList())
        {
            shard.State = ShardState.Leased;
            shard.LeaseId = Guid.NewGuid();
            shard.Worker = workerId;
            shard.Leases++;
            shards.Add(Held(shard));
        }

        changed = shards.Count > 0;
        return new PageLeases(shards, Progress());
    }

    /// <summary>Takes a shard's results, if the page still has the shard out under that lease to that worker; changed when it did.</summary>
    public PageChange Complete(ShardResult result, out bool changed)
    {
        var shard = Holding(result.Lease);
        changed = shard is not null && shard.Worker == result.WorkerId;
        if (!changed)
        {
            return new PageChange { Progress = Progress() };
        }

        var change = new Change();
        foreach (var image in result.Images.Where(i => shard!.Work.Images.Contains(i.Name) && !shard.Finished.Contains(i.Name)))
        {
            Take(shard!, image, change);
        }

        record.Tiles += result.Tiles;
        if (result.Engine is { } engine && result.Images.FirstOrDefault(i => i.Silo is not null)?.Silo is { } runOn)
        {
            // A silo with several devices names them all.
            record.EnginesBySilo[runOn] = record.EnginesBySilo.TryGetValue(runOn, out var known) && !known.Device.Split(", ").Contains(engine.Device)
                ? engine with { Device = $"{known.Device}, {engine.Device}", BatchSize = Math.Max(known.BatchSize, engine.BatchSize) }
                : engine;
        }

        Return(shard!);
        if (shard!.State == ShardState.Done && shard.Work is BandWork band)
        {
            PageBands.StitchWhenStored(record, band.Image);
        }

        return change.Of(Progress());
    }

    /// <summary>A lease its worker stopped renewing: its open images' try counts, and the shard goes back; changed when the page had it out.</summary>
    public PageChange Expire(ShardLeaseRef lease, out bool changed)
    {
        var shard = Holding(lease);
        changed = shard is not null;
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
            if (attempts >= record.Rules!.MaxAttempts)
            {
                Fail(shard, image, $"its worker stopped answering before it finished (lease expired) (after {attempts} attempts)", change);
            }
        }

        Return(shard);
        return change.Of(Progress());
    }

    /// <summary>Puts shards handed back unfinished in the queue again, without costing a try; changed when any was out.</summary>
    public PageProgress Release(IReadOnlyList<ShardLeaseRef> leases, out bool changed)
    {
        changed = false;
        foreach (var lease in leases)
        {
            if (Holding(lease) is { } shard)
            {
                shard.State = ShardState.Pending;
                shard.Worker = null;
                changed = true;
            }
        }

        return Progress();
    }

    public PageRecovery Recover(int failures) => new(
        Progress(),
        [.. record.Shards.Where(s => s.State == ShardState.Leased).Select(Held)],
        [.. record.Failures.Take(failures)]);

    public PageOutcome Outcome() => new(
        new Dictionary<string, ImageSummary>(record.Segmented, StringComparer.Ordinal),
        [.. record.Failures],
        new Dictionary<string, int>(record.Banded, StringComparer.Ordinal))
    {
        Skipped = new Dictionary<string, string>(record.Skipped, StringComparer.Ordinal),
        Redone = new Dictionary<string, string>(record.Redone, StringComparer.Ordinal),
        LeftOut = new Dictionary<string, string>(record.LeftOut, StringComparer.Ordinal),
        EnginesBySilo = new Dictionary<string, EngineRun>(record.EnginesBySilo, StringComparer.Ordinal),
    };

    public PageProgress Progress()
    {
        int pending = 0, urgent = 0, open = 0;
        foreach (var shard in record.Shards)
        {
            if (shard.State == ShardState.Pending)
            {
                pending++;
                urgent += shard.Work is ImagesWork ? 0 : 1;
            }

            open += shard.State != ShardState.Done ? 1 : 0;
        }

        return new PageProgress
        {
            Pending = pending,
            UrgentPending = urgent,
            Open = open,
            Segmented = record.Segmented.Count,
            Failed = record.Failures.Count,
            Tiles = record.Tiles,
            ImagesBySilo = new Dictionary<string, int>(record.ImagesBySilo, StringComparer.Ordinal),
            Skipped = record.Skipped.Count,
            LeftOut = record.LeftOut.Count,
            AddedImages = record.Planes.Values.Sum(planes => planes - 1),
        };
    }

    /// <summary>Records one image's outcome in a shard it belongs to; an outcome that does not fit the shard's kind is a failed try.</summary>
    private void Take(ShardRecord shard, ImageResult image, Change change)
    {
        switch (image, shard.Work)
        {
            case (ImageSegmented segmented, _):
                record.Segmented[image.Name] = segmented.Summary;
                shard.Finished.Add(image.Name);
                var silo = image.Silo ?? "unknown";
                record.ImagesBySilo[silo] = record.ImagesBySilo.GetValueOrDefault(silo) + 1;
                if (segmented.Redone is { } why)
                {
                    record.Redone[image.Name] = why;
                }

                return;
            case (ImageSkipped skipped, ImagesWork):
                record.Segmented[image.Name] = skipped.Summary;
                record.Skipped[image.Name] = skipped.MadeBy;
                shard.Finished.Add(image.Name);
                return;
            case (ImageLeftOut left, ImagesWork { OnlyIfCurrent: true }):
                record.LeftOut[image.Name] = left.Reason;
                shard.Finished.Add(image.Name);
                return;
            case (ImageOversized oversized, ImagesWork):
                shard.Finished.Add(image.Name);
                if (PageBands.Cut(record, image.Name, oversized.Size, oversized.Intensity) is { } unusable)
                {
                    Fail(shard, image.Name, unusable, change);
                }
                else
                {
                    LogCutIntoBands(logger, jobId, image.Name, oversized.Size.Width, oversized.Size.Height, record.Banded[image.Name]);
                }

                return;
            case (ImageHasPlanes planes, ImagesWork images):
                shard.Finished.Add(image.Name);
                foreach (var (plane, refusal) in PagePlanes.Add(record, image.Name, planes.Planes, images.OnlyIfCurrent))
                {
                    Fail(shard, plane, refusal, change);
                }

                return;
            case (BandStored stored, BandWork band) when stored.Index == band.Index:
                shard.Finished.Add(image.Name);
                if (stored.Leased is { } leased && (!record.FirstBandLeased.TryGetValue(image.Name, out var first) || leased < first))
                {
                    record.FirstBandLeased[image.Name] = leased;
                }

                return;
        }

        var attempts = shard.Attempts[image.Name] = shard.Attempts.GetValueOrDefault(image.Name) + 1;
        var (reason, retryable) = image is ImageFailed failed ? (failed.Reason, failed.Retryable) : ("failed without a reason", false);
        if (!retryable || attempts >= record.Rules!.MaxAttempts)
        {
            Fail(shard, image.Name, retryable ? $"{reason} (after {attempts} attempts)" : reason, change);
        }
    }

    /// <summary>Records an image's final failure; for a large image, its other bands and its stitch are closed with it.</summary>
    private void Fail(ShardRecord shard, string image, string reason, Change change)
    {
        var where = shard.Work is BandWork band ? $"{band.Describe()}: " : "";
        var failure = new ImageFailure(image, where + reason);
        record.Failures.Add(failure);
        change.Failures.Add(failure);
        shard.Finished.Add(image);
        if (shard.Work is not ImagesWork)
        {
            change.Closed.AddRange(PageBands.CloseOthers(record, shard, image));
        }
    }

    private ShardRecord? Holding(ShardLeaseRef lease) =>
        lease.ShardId >= 0 && lease.ShardId < record.Shards.Count && record.Shards[lease.ShardId] is { State: ShardState.Leased } shard && shard.LeaseId == lease.LeaseId
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
        Work = shard.Work is ImagesWork images ? images with { Names = [.. shard.Unfinished] } : shard.Work,
    };

    /// <summary>What one call changed, gathered as it goes.</summary>
    private sealed class Change
    {
        public List<ImageFailure> Failures { get; } = [];

        public List<int> Closed { get; } = [];

        public PageChange Of(PageProgress progress) => new() { Progress = progress, NewFailures = Failures, Closed = Closed };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Image} is {Width}×{Height}, above the band threshold; cut into {Bands} band shard(s).")]
    private static partial void LogCutIntoBands(ILogger logger, string jobId, string image, int width, int height, int bands);
}
