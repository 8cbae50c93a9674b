using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation.Regions;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// A large image is reported back unsegmented with its size; the coordinator cuts it into region
/// shards over one tile grid, leases them before ordinary shards, then leases one stitch, and the
/// image counts once, as done or as failed with which region failed and why.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class RegionShardTests(CoordinatorFixture cluster)
{
    private static readonly ImageSize Large = new(1000, 700, 64);

    [Fact]
    public async Task ALargeImageIsCutIntoRegionsThenStitchedAndCountsOnce()
    {
        var (job, spec) = await SubmitAsync(["big.tif", "small-1.png", "small-2.png"], shardSize: 2);
        var expected = RegionPlanner.Split(Large.Width, Large.Height, Large.TileSize, spec.Overlap, spec.RegionSize);
        Assert.True(expected.Count > 4);

        var first = Assert.Single(await job.LeaseAsync("worker-a", 1));
        Assert.Equal(["big.tif", "small-1.png"], first.Images);
        await job.CompleteAsync(Work.Result(first, "worker-a", [Oversized("big.tif"), Work.Segmented("small-1.png")]));

        // The regions come before the ordinary shard still waiting, in order, each one image.
        var regions = await job.LeaseAsync("worker-b", expected.Count);
        Assert.Equal(expected.Count, regions.Count);
        Assert.All(regions, r => Assert.Equal(["big.tif"], r.Images));
        Assert.Equal(
            expected.Select((rect, i) => (i, expected.Count, rect.X, rect.Y, rect.Width, rect.Height)),
            regions.Select(r => (r.Region!.Index, r.Region.Count, r.Region.X, r.Region.Y, r.Region.Width, r.Region.Height)));
        Assert.Equal(JobState.Running, (await job.GetStatusAsync()).State);
        Assert.Equal(1, (await job.GetStatusAsync()).InProgress);

        // Parts as workers store them, to see the coordinator remove them when the job ends.
        foreach (var region in regions)
        {
            await job.CompleteAsync(Work.Result(region, "worker-b", [Stored(region)], tiles: 6));
            WritePart(spec, job, region.Region!.Index);
        }

        var stitch = await job.LeaseAsync("worker-c", 1);
        Assert.Equal(new ImageStitch("big.tif", expected.Count), Assert.Single(stitch).Stitch);
        Assert.Equal(1, (await job.GetStatusAsync()).Done);

        await Work.CompleteAllAsync(job, stitch[0], "worker-c");
        var rest = Assert.Single(await job.LeaseAsync("worker-a", 2));
        Assert.Equal(["small-2.png"], rest.Images);
        Assert.Null(rest.Region);
        await Work.CompleteAllAsync(job, rest, "worker-a");

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.Completed, 3, 0, 3), (status.State, status.Done, status.Failed, status.Total));
        Assert.False(Directory.Exists(Path.Combine(spec.Output, OutputNames.Parts)), "region parts are removed when the job ends");
        var report = await Work.ReadReportAsync(spec.Output);
        Assert.Equal(new ReportCounts(3, 3, 0), report.Counts);
    }

    [Fact]
    public async Task ARegionThatFailsForGoodFailsItsImageOnceNamingTheRegionAndDropsTheRest()
    {
        var (job, spec) = await SubmitAsync(["big.tif"], shardSize: 1, maxAttempts: 2);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Oversized("big.tif")]));
        var regions = await job.LeaseAsync("worker-a", 100);
        await job.CompleteAsync(Work.Result(regions[0], "worker-a", [Stored(regions[0])]));
        WritePart(spec, job, 0);

        var bad = regions[2].Region!;
        await job.CompleteAsync(Work.Result(regions[2], "worker-a", [Work.Failed("big.tif", "out of memory", retryable: true)]));
        var retry = Assert.Single(await job.LeaseAsync("worker-b", 1));
        Assert.Equal(bad, retry.Region);
        await job.CompleteAsync(Work.Result(retry, "worker-b", [Work.Failed("big.tif", "out of memory", retryable: true)]));

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, 0, 1, 0), (status.State, status.Done, status.Failed, status.InProgress));
        var failure = Assert.Single(status.Failures);
        Assert.Equal("big.tif", failure.Name);
        Assert.Equal($"region 3 of {bad.Count} ({bad.Width}×{bad.Height} at {bad.X}, {bad.Y}): out of memory (after 2 attempts)", failure.Reason);
        Assert.Empty(await job.LeaseAsync("worker-a", 100));

        // A region still held when its image failed reports late: ignored, the image is not counted twice.
        await job.CompleteAsync(Work.Result(regions[1], "worker-a", [Stored(regions[1])]));
        Assert.Single((await job.GetStatusAsync()).Failures);
        Assert.False(Directory.Exists(Path.Combine(spec.Output, OutputNames.Parts)));
    }

    [Fact]
    public async Task CancellingRemovesStoredPartsAndOnesStoredAfterwards()
    {
        var (job, spec) = await SubmitAsync(["big.tif"], shardSize: 1);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Oversized("big.tif")]));
        var regions = await job.LeaseAsync("worker-a", 2);
        await job.CompleteAsync(Work.Result(regions[0], "worker-a", [Stored(regions[0])]));
        WritePart(spec, job, 0);

        await job.CancelAsync();
        Assert.False(Directory.Exists(Path.Combine(spec.Output, OutputNames.Parts)));

        // A worker that was segmenting region 1 stores it before it learns of the cancel.
        WritePart(spec, job, 1);
        await job.CompleteAsync(Work.Result(regions[1], "worker-a", [Stored(regions[1])]));
        Assert.False(Directory.Exists(Path.Combine(spec.Output, OutputNames.Parts)));
        Assert.Equal(JobState.Cancelled, (await job.GetStatusAsync()).State);
    }

    [Fact]
    public async Task RegionShardsSurviveTheCoordinatorMoving()
    {
        var (job, _) = await SubmitAsync(["big.tif"], shardSize: 1);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Oversized("big.tif")]));

        await cluster.DeactivateAsync(job);

        var regions = await job.LeaseAsync("worker-b", 100);
        Assert.All(regions, r => Assert.NotNull(r.Region));
        foreach (var region in regions)
        {
            await job.CompleteAsync(Work.Result(region, "worker-b", [Stored(region)]));
        }

        await cluster.DeactivateAsync(job);
        var stitch = Assert.Single(await job.LeaseAsync("worker-c", 100));
        Assert.NotNull(stitch.Stitch);
        await Work.CompleteAllAsync(job, stitch, "worker-c");
        Assert.Equal(JobState.Completed, (await job.GetStatusAsync()).State);
    }

    private static ImageResult Oversized(string name) => new() { Name = name, Oversized = Large, Silo = "silo-a" };

    private static ImageResult Stored(ShardLease region) => new() { Name = region.Images[0], RegionStored = region.Region!.Index, Silo = "silo-a" };

    private static void WritePart(JobSpec spec, IJobGrain job, int index)
    {
        var path = Path.Combine(spec.Output, OutputNames.Part(job.GetPrimaryKeyString(), "big.tif", index));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [1, 2, 3]);
    }

    private async Task<(IJobGrain Job, JobSpec Spec)> SubmitAsync(string[] images, int shardSize, int maxAttempts = 3)
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, images);
        var job = cluster.Job(id);
        var spec = Work.Spec(input, cluster.Temp.File(id + "-out"), shardSize: shardSize, maxAttempts: maxAttempts) with { RegionSize = 128 };
        Assert.Equal(JobState.Running, (await job.SubmitAsync(spec)).State);
        return (job, spec);
    }
}
