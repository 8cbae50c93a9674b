using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation.Bands;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// A large image is reported back unsegmented with its size; the coordinator cuts it into band
/// shards over one tile grid, leases them before ordinary shards, then leases one stitch, and the
/// image counts once, as done or as failed with which band failed and why.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class BandShardTests(CoordinatorFixture cluster)
{
    private static readonly ImageSize Large = new(1000, 700, 64);

    [Fact]
    public async Task ALargeImageIsCutIntoBandsThenStitchedAndCountsOnce()
    {
        var (job, spec) = await SubmitAsync(["big.tif", "small-1.png", "small-2.png"], shardSize: 2);
        var expected = BandPlanner.Split(Large.Width, Large.Height, Large.TileSize, spec.Overlap, spec.RegionSize);
        Assert.True(expected.Count > 4);

        var first = Assert.Single(await job.LeaseAsync("worker-a", 1));
        Assert.Equal(["big.tif", "small-1.png"], first.Images);
        await job.CompleteAsync(Work.Result(first, "worker-a", [Oversized("big.tif"), Work.Segmented("small-1.png")]));

        // The bands come before the ordinary shard still waiting, in order, each one image.
        var bands = await job.LeaseAsync("worker-b", expected.Count);
        Assert.Equal(expected.Count, bands.Count);
        Assert.All(bands, b => Assert.Equal(["big.tif"], b.Images));
        Assert.Equal(
            expected.Select((rect, i) => new BandWork("big.tif", i, expected.Count, rect.Width, rect.Y, rect.Height)),
            bands.Select(b => b.Work));
        Assert.All(expected, rect => Assert.Equal((0, Large.Width), (rect.X, rect.Width)));
        Assert.Equal(JobState.Running, (await job.GetStatusAsync()).State);
        Assert.Equal(1, (await job.GetStatusAsync()).InProgress);

        // Parts as workers store them, to see the coordinator remove them when the job ends.
        foreach (var band in bands)
        {
            await job.CompleteAsync(Work.Result(band, "worker-b", [Stored(band)], tiles: 6));
            WritePart(spec, job, Band(band).Index);
        }

        var stitch = await job.LeaseAsync("worker-c", 1);
        Assert.Equal(new StitchWork("big.tif", expected.Count), Assert.Single(stitch).Work);
        Assert.Equal(1, (await job.GetStatusAsync()).Done);

        await Work.CompleteAllAsync(job, stitch[0], "worker-c");
        var rest = Assert.Single(await job.LeaseAsync("worker-a", 2));
        Assert.Equal(["small-2.png"], rest.Images);
        Assert.IsType<ImagesWork>(rest.Work);
        await Work.CompleteAllAsync(job, rest, "worker-a");

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.Completed, 3, 0, 3), (status.State, status.Done, status.Failed, status.Total));
        Assert.False(Directory.Exists(Path.Combine(spec.Output, OutputNames.BandParts)), "band parts are removed when the job ends");
        var report = await Work.ReadReportAsync(spec.Output);
        Assert.Equal(new ReportCounts(3, 3, 0), report.Counts);
    }

    [Fact]
    public async Task EveryBandIsGivenTheWholeImagesNormalisationMeasuredOnce()
    {
        var (job, _) = await SubmitAsync(["big.tif"], shardSize: 1);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        var intensity = new ImageIntensity([0.01f, 0.02f, 0.03f], [0.5f, 0.6f, 0.7f]);

        await job.CompleteAsync(Work.Result(lease, "worker-a", [Oversized("big.tif") with { Intensity = intensity }]));
        var bands = await job.LeaseAsync("worker-b", 100);

        Assert.True(bands.Count > 1);
        Assert.All(bands, b => Assert.Equal(intensity.Offset, Band(b).Intensity!.Offset));
        Assert.All(bands, b => Assert.Equal(intensity.Divisor, Band(b).Intensity!.Divisor));
    }

    [Fact]
    public async Task ABandThatFailsForGoodFailsItsImageOnceNamingTheBandAndDropsTheRest()
    {
        var (job, spec) = await SubmitAsync(["big.tif"], shardSize: 1, maxAttempts: 2);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Oversized("big.tif")]));
        var bands = await job.LeaseAsync("worker-a", 100);
        await job.CompleteAsync(Work.Result(bands[0], "worker-a", [Stored(bands[0])]));
        WritePart(spec, job, 0);

        var bad = Band(bands[2]);
        await job.CompleteAsync(Work.Result(bands[2], "worker-a", [Work.Failed("big.tif", "out of memory", retryable: true)]));
        var retry = Assert.Single(await job.LeaseAsync("worker-b", 1));
        Assert.Equal(bad, retry.Work);
        await job.CompleteAsync(Work.Result(retry, "worker-b", [Work.Failed("big.tif", "out of memory", retryable: true)]));

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, 0, 1, 0), (status.State, status.Done, status.Failed, status.InProgress));
        var failure = Assert.Single(status.Failures);
        Assert.Equal("big.tif", failure.Name);
        Assert.Equal($"band 3 of {bad.Count} ({bad.Width}×{bad.Height} at row {bad.Top}): out of memory (after 2 attempts)", failure.Reason);
        Assert.Empty(await job.LeaseAsync("worker-a", 100));

        // A band still held when its image failed reports late: ignored, the image is not counted twice.
        await job.CompleteAsync(Work.Result(bands[1], "worker-a", [Stored(bands[1])]));
        Assert.Single((await job.GetStatusAsync()).Failures);
        Assert.False(Directory.Exists(Path.Combine(spec.Output, OutputNames.BandParts)));
    }

    [Fact]
    public async Task CancellingRemovesStoredPartsAndOnesStoredAfterwards()
    {
        var (job, spec) = await SubmitAsync(["big.tif"], shardSize: 1, leaseSeconds: 1);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Oversized("big.tif")]));
        var bands = await job.LeaseAsync("worker-a", 2);
        await job.CompleteAsync(Work.Result(bands[0], "worker-a", [Stored(bands[0])]));
        WritePart(spec, job, 0);

        await job.CancelAsync();
        Assert.Equal(JobState.Cancelled, (await Work.WaitUntilFinishedAsync(job, TimeSpan.FromSeconds(60))).State);
        Assert.False(Directory.Exists(Path.Combine(spec.Output, OutputNames.BandParts)));

        // A worker that was segmenting band 1 stores it after the cancel's short wait for it was over.
        WritePart(spec, job, 1);
        await job.CompleteAsync(Work.Result(bands[1], "worker-a", [Stored(bands[1])]));
        Assert.False(Directory.Exists(Path.Combine(spec.Output, OutputNames.BandParts)));
        Assert.Equal(JobState.Cancelled, (await job.GetStatusAsync()).State);
    }

    [Fact]
    public async Task BandShardsSurviveTheCoordinatorMoving()
    {
        var (job, _) = await SubmitAsync(["big.tif"], shardSize: 1);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Oversized("big.tif")]));

        await cluster.DeactivateAsync(job);

        var bands = await job.LeaseAsync("worker-b", 100);
        Assert.All(bands, b => Assert.IsType<BandWork>(b.Work));
        foreach (var band in bands)
        {
            await job.CompleteAsync(Work.Result(band, "worker-b", [Stored(band)]));
        }

        await cluster.DeactivateAsync(job);
        var stitch = Assert.Single(await job.LeaseAsync("worker-c", 100));
        Assert.IsType<StitchWork>(stitch.Work);
        await Work.CompleteAllAsync(job, stitch, "worker-c");
        Assert.Equal(JobState.Completed, (await job.GetStatusAsync()).State);
    }

    private static ImageOversized Oversized(string name) => new() { Name = name, Size = Large, Silo = "silo-a" };

    private static BandWork Band(ShardLease lease) => Assert.IsType<BandWork>(lease.Work);

    private static BandStored Stored(ShardLease band) => new() { Name = band.Images[0], Index = Band(band).Index, Silo = "silo-a" };

    private static void WritePart(JobSpec spec, IJobGrain job, int index)
    {
        var path = Path.Combine(spec.Output, OutputNames.BandPart(job.GetPrimaryKeyString(), "big.tif", index));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [1, 2, 3]);
    }

    private async Task<(IJobGrain Job, JobSpec Spec)> SubmitAsync(string[] images, int shardSize, int maxAttempts = 3, int leaseSeconds = 10)
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, images);
        var job = cluster.Job(id);
        var spec = Work.Spec(input, cluster.Temp.File(id + "-out"), shardSize: shardSize, maxAttempts: maxAttempts, leaseSeconds: leaseSeconds) with { RegionSize = 128 };
        Assert.Equal(JobState.Running, (await job.SubmitAsync(spec)).State);
        return (job, spec);
    }
}
