using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// What a page and the report make of a continuing job's results: skipped images count as done with
/// their recorded figures, redone and left-out images keep their reasons, and the report says how the
/// engines really ran and how long each image took from its lease.
/// </summary>
public sealed class ResumePageTests
{
    private static readonly JobSpec Spec = Work.Spec("in", "out", shardSize: 3) with { Resume = true };

    [Fact]
    public async Task SkippedImagesCountAsDoneAndTheReportListsWhatWasSkippedRedoneAndLeftOut()
    {
        var page = PageInMemory.Of(Spec, new ImagesWork(["a.png", "b.png"]), new ImagesWork(["c.png"]) { OnlyIfCurrent = true });
        var leases = (await page.LeaseAsync("worker-a", 2)).Shards;
        var engine = new EngineRun("cpu", 64, 4, "ab12");
        var skipped = new ImageSkipped { Name = "a.png", Summary = ((ImageSegmented)Work.Segmented("a.png")).Summary, MadeBy = "job-0", Silo = "silo-a" };
        var redone = (ImageSegmented)Work.Segmented("b.png") with { Redone = "input changed" };
        await page.CompleteAsync(Result(leases[0], [skipped, redone], engine));
        await page.CompleteAsync(Result(leases[1], [new ImageLeftOut { Name = "c.png", Reason = "input changed; --resume would segment it", Silo = "silo-a" }], engine));

        var progress = page.Progress;
        Assert.Equal((2, 1, 1, 0), (progress.Segmented, progress.Skipped, progress.LeftOut, progress.Open));
        Assert.Equal(1, progress.ImagesBySilo["silo-a"]);

        var job = new JobRecord { Spec = Spec, State = JobState.Completed, Total = 3, Previous = "job-0", Pages = [progress] };
        var report = JobReportBuilder.Build("job-1", job, [await page.GetOutcomeAsync()], DateTimeOffset.UtcNow);

        Assert.Equal(new ReportCounts(3, 2, 0, Skipped: 1, LeftOut: 1), report.Counts);
        Assert.Equal([("a.png", "job-0"), ("b.png", null)], report.Images.Select(i => (i.Name, i.MadeBy)));
        Assert.Equal("job-0", report.Resume!.PreviousJob);
        Assert.Equal(["a.png"], report.Resume.Skipped.Select(n => n.Name));
        Assert.Equal([new ReportNote("b.png", "input changed")], report.Resume.Redone);
        Assert.Equal("c.png", Assert.Single(report.Resume.LeftOut).Name);
        Assert.Equal((64, 4, "ab12"), (report.Model.TileSize, report.Model.BatchSize, report.Model.Sha256));
        Assert.Equal([new ReportSilo("silo-a", 1, "cpu", 64, 4)], report.Silos);
        Assert.False(string.IsNullOrEmpty(report.Version));
    }

    [Fact]
    public async Task AnImageLeftOutIsNotTakenFromAShardThatWasToSegmentIt()
    {
        var page = PageInMemory.Of(Spec, new ImagesWork(["a.png"]));
        var lease = Assert.Single((await page.LeaseAsync("worker-a", 1)).Shards);

        await page.CompleteAsync(Result(lease, [new ImageLeftOut { Name = "a.png", Reason = "not asked for" }], engine: null));

        Assert.Equal((0, 0), (page.Progress.LeftOut, page.Progress.Segmented));
        Assert.Equal(1, page.Record.Shards[0].Attempts["a.png"]);
    }

    [Fact]
    public async Task ALargeImagesStitchIsTimedFromItsFirstBandsLease()
    {
        var page = PageInMemory.Of(Work.Spec("in", "out"), new BandWork("big.tif", 0, 2, 100, 0, 50), new BandWork("big.tif", 1, 2, 100, 50, 50));
        var bands = (await page.LeaseAsync("worker-a", 2)).Shards;
        var first = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

        await page.CompleteAsync(Result(bands[1], [new BandStored { Name = "big.tif", Index = 1, Leased = first.AddSeconds(1) }], engine: null));
        await page.CompleteAsync(Result(bands[0], [new BandStored { Name = "big.tif", Index = 0, Leased = first }], engine: null));

        var stitch = Assert.IsType<StitchWork>(Assert.Single((await page.LeaseAsync("worker-a", 1)).Shards).Work);
        Assert.Equal(first, stitch.FirstBandLeased);
    }

    [Fact]
    public void APageKeepsWhatAContinuingJobFoundThroughItsStorage()
    {
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var summary = ((ImageSegmented)Work.Segmented("a.png")).Summary;
        var record = new JobPageRecord
        {
            Shards = [new ShardRecord { Id = 0, Work = new ImagesWork(["b.png"]) { OnlyIfCurrent = true } }, new ShardRecord { Id = 1, Work = new StitchWork("big.tif", 3, DateTimeOffset.UnixEpoch) }],
            Segmented = { ["a.png"] = summary },
            Skipped = { ["a.png"] = "job-0" },
            Redone = { ["c.png"] = "input changed" },
            LeftOut = { ["b.png"] = "not current" },
            EnginesBySilo = { ["silo-a"] = new EngineRun("cpu", 64, 4, "ab12") },
            FirstBandLeased = { ["big.tif"] = DateTimeOffset.UnixEpoch },
        };

        var copy = Assert.IsType<JobPageRecord>(serializer.Deserialize<JobPageRecord>(serializer.SerializeToArray(record)));

        Assert.True(Assert.IsType<ImagesWork>(copy.Shards[0].Work).OnlyIfCurrent);
        Assert.Equal(DateTimeOffset.UnixEpoch, Assert.IsType<StitchWork>(copy.Shards[1].Work).FirstBandLeased);
        Assert.Equal(("job-0", "input changed", "not current"), (copy.Skipped["a.png"], copy.Redone["c.png"], copy.LeftOut["b.png"]));
        Assert.Equal(record.EnginesBySilo["silo-a"], copy.EnginesBySilo["silo-a"]);
        Assert.Equal(DateTimeOffset.UnixEpoch, copy.FirstBandLeased["big.tif"]);
        var skipped = new ImageSkipped { Name = "a.png", Summary = summary, MadeBy = "job-0" };
        Assert.Equal("job-0", Assert.IsType<ImageSkipped>(serializer.Deserialize<ImageResult>(serializer.SerializeToArray<ImageResult>(skipped))).MadeBy);
    }

    private static ShardResult Result(PageShard shard, IEnumerable<ImageResult> images, EngineRun? engine) => new()
    {
        JobId = "job-1",
        Lease = new ShardLeaseRef(0, shard.ShardId, shard.LeaseId),
        WorkerId = shard.Worker,
        Images = [.. images],
        Engine = engine,
    };
}
