using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>Submitting a job: the input is listed, images are counted and cut into shards, and bad inputs are named.</summary>
[Collection(CoordinatorGroup.Name)]
public sealed class PlanningTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task ImagesInTheFolderAndItsSubFoldersAreCutIntoShardsAndOtherFilesIgnored()
    {
        var input = cluster.Temp.Folder(
            "planning-" + Guid.NewGuid().ToString("N"),
            "a.png", "b.PNG", "c.tif", "d.tiff", "e.jpg", "plate-1/f.png", "plate-1/deep/g.jpeg",
            "notes.txt", "report.json", "plate-1/readme.md", "h.png.bak");
        var id = Work.NewJobId();
        var job = cluster.Job(id);

        var status = await job.SubmitAsync(Work.Spec(input, cluster.Temp.File(id), shardSize: 3));

        Assert.Equal(JobState.Running, status.State);
        Assert.Equal(7, status.Total);
        Assert.Equal((0, 0, 0), (status.Done, status.Failed, status.InProgress));
        Assert.Null(status.Error);

        var leases = await job.LeaseAsync("worker-a", maxShards: 100);
        Assert.Equal([3, 3, 1], leases.Select(l => l.Images.Count));
        Assert.Equal(
            ["a.png", "b.PNG", "c.tif", "d.tiff", "e.jpg", "plate-1/deep/g.jpeg", "plate-1/f.png"],
            leases.SelectMany(l => l.Images).Order(StringComparer.Ordinal));
        Assert.Equal(3, leases.Select(l => l.ShardId).Distinct().Count());
        Assert.Equal(7, (await job.GetStatusAsync()).InProgress);
    }

    [Fact]
    public async Task TwoImagesThatWouldShareAMaskNameKeepTheFirstAndRefuseTheOtherWithTheReason()
    {
        var input = cluster.Temp.Folder("collision-" + Guid.NewGuid().ToString("N"), "a.png", "a.tif", "b.png");
        var job = cluster.Job(Work.NewJobId());

        var status = await job.SubmitAsync(Work.Spec(input, cluster.Temp.File("collision-out"), shardSize: 8));

        Assert.Equal(JobState.Running, status.State);
        Assert.Equal(3, status.Total);
        var refused = Assert.Single(status.Failures);
        Assert.Equal("a.tif", refused.Name);
        Assert.Contains("masks/a.png is already taken by a.png", refused.Reason, StringComparison.Ordinal);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 8));
        Assert.Equal(["a.png", "b.png"], lease.Images);
    }

    [Fact]
    public async Task AnImageWhoseMaskNameCannotBeWrittenIsRefusedAtOnceAndUnicodeNamesAreKept()
    {
        var input = cluster.Temp.Folder("names-" + Guid.NewGuid().ToString("N"), "line\nbreak.png", "zellkern-ü-核.png", "b.png");
        var job = cluster.Job(Work.NewJobId());

        var status = await job.SubmitAsync(Work.Spec(input, cluster.Temp.File("names-out-" + Guid.NewGuid().ToString("N")), shardSize: 8));

        Assert.Equal((JobState.Running, 3), (status.State, status.Total));
        var refused = Assert.Single(status.Failures);
        Assert.Equal("line\nbreak.png", refused.Name);
        Assert.Contains("its mask name cannot be written: it contains the control character U+000A", refused.Reason, StringComparison.Ordinal);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 8));
        Assert.Equal(["b.png", "zellkern-ü-核.png"], lease.Images);
    }

    [Fact]
    public async Task AnEmptyFolderFailsTheJobWithAnErrorNamingTheInput()
    {
        var input = cluster.Temp.Folder("empty-" + Guid.NewGuid().ToString("N"), "notes.txt");
        var id = Work.NewJobId();

        var status = await cluster.Job(id).SubmitAsync(Work.Spec(input, cluster.Temp.File(id)));

        Assert.Equal(JobState.Failed, status.State);
        Assert.True(status.IsFinished);
        Assert.StartsWith(input, status.Error, StringComparison.Ordinal);
        Assert.Contains("no PNG, JPEG or TIFF images", status.Error, StringComparison.Ordinal);
        Assert.Empty(await cluster.Job(id).LeaseAsync("worker-a", 4));
        Assert.DoesNotContain(id, await cluster.Queue.GetActiveAsync());
    }

    [Fact]
    public async Task AMissingFolderFailsTheJobWithAnErrorNamingTheInput()
    {
        var input = cluster.Temp.File("nowhere-" + Guid.NewGuid().ToString("N"));

        var status = await cluster.Job(Work.NewJobId()).SubmitAsync(Work.Spec(input, cluster.Temp.File("nowhere-out")));

        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains(input, status.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmittingTheSameSpecAgainIsTheSameJobAndADifferentSpecUnderTheIdIsRefused()
    {
        var input = cluster.Temp.Folder("again-" + Guid.NewGuid().ToString("N"), "a.png", "b.png", "c.png");
        var id = Work.NewJobId();
        var job = cluster.Job(id);
        var spec = Work.Spec(input, cluster.Temp.File(id));
        var first = await job.SubmitAsync(spec);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));

        var again = await job.SubmitAsync(spec with { });

        Assert.Equal(JobState.Running, again.State);
        Assert.Equal(first.Started, again.Started);
        Assert.Equal(3, again.Total);
        Assert.Equal(2, again.InProgress); // the plan and its lease were kept, not made again
        var error = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(spec with { ShardSize = 1 }));
        Assert.Contains(id, error.Message, StringComparison.Ordinal);
        Assert.Contains("different specification", error.Message, StringComparison.Ordinal);
        Assert.Equal(lease.Images.Count, (await job.GetStatusAsync()).InProgress);
    }

    [Fact]
    public async Task AnInvalidSpecIsRefusedAndLeavesNoJob()
    {
        var id = Work.NewJobId();
        var job = cluster.Job(id);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(Work.Spec(cluster.Temp.Path, cluster.Temp.File(id)) with { ShardSize = 0 }));

        Assert.Contains("--shard-size 0", error.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Unknown, (await job.GetStatusAsync()).State);
    }

    [Fact]
    public async Task AnOutputInsideTheInputIsNotListedAsItsImages()
    {
        var input = cluster.Temp.Folder("nest-" + Guid.NewGuid().ToString("N"), "a.png", "b.png", "results/masks/a.png", "results/masks/b.png", "results-2/c.png");
        var job = cluster.Job(Work.NewJobId());

        var status = await job.SubmitAsync(Work.Spec(input, Path.Combine(input, "results")));

        Assert.Equal(JobState.Running, status.State);
        Assert.Equal(3, status.Total);
        var leases = await job.LeaseAsync("worker-a", maxShards: 100);
        Assert.Equal(["a.png", "b.png", "results-2/c.png"], leases.SelectMany(l => l.Images).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AnInputInsideTheOutputIsRefusedAndLeavesNoJob()
    {
        var output = cluster.Temp.Folder("holder-" + Guid.NewGuid().ToString("N"), "images/a.png");
        var id = Work.NewJobId();
        var job = cluster.Job(id);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(Work.Spec(Path.Combine(output, "images"), output)));

        Assert.Contains("is inside the output", error.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Unknown, (await job.GetStatusAsync()).State);
        Assert.False(File.Exists(Path.Combine(output, ".unetpp-job")));
    }

    [Fact]
    public async Task AnUnknownMaskFormatIsRefusedAtSubmitInOneLine()
    {
        var id = Work.NewJobId();
        var job = cluster.Job(id);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(Work.Spec(cluster.Temp.Path, cluster.Temp.File(id)) with { MaskFormat = "jpeg" }));

        Assert.Equal("--mask-format jpeg: use png, tiff or ome-tiff.", error.Message);
        Assert.Equal(JobState.Unknown, (await job.GetStatusAsync()).State);
    }

    [Theory]
    [InlineData("minmax", "--normalize minmax: use fixed, percentile")]
    [InlineData("percentile:9,2", "--normalize percentile:9,2: percentiles must satisfy")]
    public async Task ANormalisationThatDoesNotParseIsRefusedAtSubmitForEveryClient(string normalize, string expected)
    {
        var id = Work.NewJobId();
        var job = cluster.Job(id);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(Work.Spec(cluster.Temp.Path, cluster.Temp.File(id)) with { Normalize = normalize }));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Unknown, (await job.GetStatusAsync()).State);
    }

    [Theory]
    [InlineData("--channels", "DAPI,,GFP", "--channels DAPI,,GFP: give channel numbers from 0 or OME channel names")]
    [InlineData("--pages", "3-1", "--pages 3-1: use all, first, or plane numbers")]
    public async Task ChannelsOrPagesThatDoNotParseAreRefusedAtSubmitForEveryClient(string option, string value, string expected)
    {
        var id = Work.NewJobId();
        var job = cluster.Job(id);
        var spec = Work.Spec(cluster.Temp.Path, cluster.Temp.File(id));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => job.SubmitAsync(option == "--channels" ? spec with { Channels = value } : spec with { Pages = value }));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Unknown, (await job.GetStatusAsync()).State);
    }
}
