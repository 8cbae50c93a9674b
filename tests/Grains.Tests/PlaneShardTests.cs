using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// A file of several planes is reported back with its chosen planes' names; the coordinator adds each
/// as an image of its own on the file's page, in shards of the job's size, and counts them in the job.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class PlaneShardTests(CoordinatorFixture cluster)
{
    private static readonly string[] Planes = ["x.tif#p0", "x.tif#p1", "x.tif#p2"];

    [Fact]
    public async Task EachPlaneBecomesAnImageInShardsOfTheJobsSizeAndCountsInTheJob()
    {
        var (job, spec) = await SubmitAsync(["a.png", "x.tif"]);

        var first = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(first, "worker-a", [Work.Segmented("a.png"), HasPlanes("x.tif", Planes)]));
        Assert.Equal(4, (await job.GetStatusAsync()).Total);

        var planes = await job.LeaseAsync("worker-b", 5);
        Assert.Equal([["x.tif#p0", "x.tif#p1"], ["x.tif#p2"]], planes.Select(p => p.Images));
        foreach (var lease in planes)
        {
            await Work.CompleteAllAsync(job, lease, "worker-b");
        }

        var status = await Work.WaitUntilFinishedAsync(job, TimeSpan.FromSeconds(30));
        Assert.Equal((JobState.Completed, 4, 0, 4), (status.State, status.Done, status.Failed, status.Total));
        var report = await Work.ReadReportAsync(spec.Output);
        Assert.Equal(["a.png", .. Planes], report.Images.Select(i => i.Name));
        Assert.Equal(["masks/a.png", "masks/x.p0.png", "masks/x.p1.png", "masks/x.p2.png"], report.Images.Select(i => i.Mask));
    }

    [Fact]
    public async Task APlaneWhoseMaskAListedFileAlreadyHasFailsNamingThatFile()
    {
        var (job, _) = await SubmitAsync(["x.p1.tif", "x.tif"]);

        var first = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(first, "worker-a", [Work.Segmented("x.p1.tif"), HasPlanes("x.tif", Planes)]));

        var failure = Assert.Single((await job.GetStatusAsync()).Failures);
        Assert.Equal(new ImageFailure("x.tif#p1", "its mask name masks/x.p1.png is already taken by x.p1.tif"), failure);
        Assert.Equal([["x.tif#p0", "x.tif#p2"]], (await job.LeaseAsync("worker-b", 5)).Select(p => p.Images));
    }

    [Fact]
    public async Task RetryFailedDoesAFailedPlaneAgainAndOnlyJudgesTheFilesOtherPlanes()
    {
        var (job, spec) = await SubmitAsync(["x.tif"]);
        var first = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(first, "worker-a", [HasPlanes("x.tif", Planes)]));
        var planes = await job.LeaseAsync("worker-a", 5);
        await job.CompleteAsync(Work.Result(planes[0], "worker-a", [Work.Segmented("x.tif#p0"), Work.Failed("x.tif#p1", "truncated or corrupt", retryable: false)]));
        await Work.CompleteAllAsync(job, planes[1], "worker-a");
        Assert.Equal(JobState.CompletedWithFailures, (await Work.WaitUntilFinishedAsync(job, TimeSpan.FromSeconds(30))).State);

        var again = cluster.Job(Work.NewJobId());
        Assert.Equal(JobState.Running, (await again.SubmitAsync(spec with { RetryFailed = true })).State);
        var leases = await again.LeaseAsync("worker-b", 5);
        Assert.Equal([["x.tif#p1"], ["x.tif"]], leases.Select(l => l.Images));
        Assert.Equal([false, true], leases.Select(l => ((ImagesWork)l.Work).OnlyIfCurrent));

        await again.CompleteAsync(Work.Result(leases[1], "worker-b", [HasPlanes("x.tif", Planes)]));
        var judged = Assert.Single(await again.LeaseAsync("worker-b", 5));
        Assert.Equal(["x.tif#p0", "x.tif#p2"], judged.Images);
        Assert.True(((ImagesWork)judged.Work).OnlyIfCurrent);
    }

    private static ImageHasPlanes HasPlanes(string file, string[] planes) => new() { Name = file, Planes = planes, Silo = "silo-a" };

    private async Task<(IJobGrain Job, JobSpec Spec)> SubmitAsync(string[] images)
    {
        var id = Work.NewJobId();
        var job = cluster.Job(id);
        var spec = Work.Spec(cluster.Temp.Folder(id, images), cluster.Temp.File(id + "-out"), shardSize: 2);
        Assert.Equal(JobState.Running, (await job.SubmitAsync(spec)).State);
        return (job, spec);
    }
}
