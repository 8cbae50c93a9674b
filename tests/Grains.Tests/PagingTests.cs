using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// A job's plan is kept in pages of a few hundred images: the job grain's own state stays the
/// same size however many images the job has, a completion rewrites one page rather than the
/// whole job, and a job grain that activates again finds its held shards and failures in its pages.
/// </summary>
[Collection(CoordinatorGroup.Name)]
public sealed class PagingTests(CoordinatorFixture cluster, ITestOutputHelper output)
{
    /// <summary>The default of <see cref="JobOptions.ImagesPerPage"/>, which the coordinator silo keeps.</summary>
    private static readonly int ImagesPerPage = new JobOptions().ImagesPerPage;

    [Fact]
    public async Task TheJobsOwnStateStaysSmallHoweverManyImagesItHas()
    {
        var small = await RunToTheEndAsync(ImagesPerPage);
        var large = await RunToTheEndAsync(16 * ImagesPerPage);

        foreach (var (images, run) in new[] { (ImagesPerPage, small), (16 * ImagesPerPage, large) })
        {
            output.WriteLine(
                $"{images} images: job state {run.Job.Largest} bytes at most, written {run.Job.Writes} times; {run.Pages.Count} page(s), "
                + $"largest {run.Pages.Max(p => p.Largest)} bytes, {run.Pages.Sum(p => p.Writes)} page writes, {run.Pages.Sum(p => p.Bytes) / 1024.0:F0} KiB written in all");
        }

        Assert.Equal((1, 16), (small.Pages.Count, large.Pages.Count));

        // The job's state holds counts per page: 16 times the images add a few hundred bytes, not
        // the 118 bytes per image the whole plan in one state took.
        var added = large.Job.Largest - small.Job.Largest;
        Assert.True(large.Job.Largest < 4096, $"the job's state reached {large.Job.Largest} bytes");
        Assert.True(added < 15 * ImagesPerPage, $"the job's state grew {added} bytes for {15 * ImagesPerPage} more images");

        // It is written at the job's milestones only, as often for 4,096 images as for 256.
        Assert.Equal(small.Job.Writes, large.Job.Writes);

        // A page is as large in a large job as the one page of a small one, and a completion
        // rewrites one page: what the large job wrote in all grows with its images, not with their square.
        Assert.All(large.Pages, page => Assert.True(page.Largest <= small.Pages[0].Largest + 64, $"a page reached {page.Largest} bytes"));
        var perImage = large.Pages.Sum(p => p.Bytes) / (double)(16 * ImagesPerPage);
        var perImageSmall = small.Pages.Sum(p => p.Bytes) / (double)ImagesPerPage;
        Assert.True(perImage < perImageSmall * 1.1, $"{perImage:F0} bytes written per image in the large job, {perImageSmall:F0} in the small one");
    }

    [Fact]
    public async Task AFinishedPageLeavesMemoryAndTheReportReadsItBack()
    {
        // Three pages, finished one after the other: a finished page does not stay in the silo's memory
        // until the job ends, and the report is whole from pages read back from storage.
        var images = 3 * ImagesPerPage;
        var (job, _) = await SubmitAsync(images, shardSize: 8);
        var jobId = (await job.GetStatusAsync()).JobId;
        var finished = new List<int>();
        while (await job.LeaseAsync("worker-a", ImagesPerPage / 8) is { Count: > 0 } leases)
        {
            foreach (var lease in leases)
            {
                await Work.CompleteAllAsync(job, lease, "worker-a");
            }

            // Each round leases one page's shards whole, in page order.
            finished.Add(finished.Count);
            Assert.Empty(await PagesInMemoryAsync(jobId, finished));
        }

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.Completed, images), (status.State, status.Done));
        Assert.Equal([0, 1, 2], finished);
        var report = await Work.ReadReportAsync(status.Spec!.Output);
        Assert.Equal(images, report.Images.Select(i => i.Name).Distinct().Count());
        Assert.All(report.Images, image => Assert.Equal(OutputNames.For(OutputNames.Masks, image.Name), image.Mask));
    }

    [Fact]
    public async Task AReportWhosePagesCannotBeReadYetIsWrittenWhenTheyCanBe()
    {
        // The last result finishes the job while storage is out of reach: the finished page, which left
        // memory, cannot be read back for the report. Status says running meanwhile, and the report is
        // written once the page can be read, without another call to the job.
        var (job, _) = await SubmitAsync(ImagesPerPage, shardSize: 8);
        var jobId = (await job.GetStatusAsync()).JobId;
        var leases = await job.LeaseAsync("worker-a", ImagesPerPage / 8);
        foreach (var lease in leases.SkipLast(1))
        {
            await Work.CompleteAllAsync(job, lease, "worker-a");
        }

        cluster.Storage.FailReads(cluster.Client.GetGrain<IJobPageGrain>(0, jobId).GetGrainId(), times: 2);
        await Work.CompleteAllAsync(job, leases[^1], "worker-a");
        var reporting = await job.GetStatusAsync();
        var status = await Work.WaitUntilFinishedAsync(job, TimeSpan.FromSeconds(30));

        Assert.Equal(JobState.Running, reporting.State);
        Assert.Equal((JobState.Completed, ImagesPerPage), (status.State, status.Done));
        var report = await Work.ReadReportAsync(status.Spec!.Output);
        Assert.Equal(ImagesPerPage, report.Images.Select(i => i.Name).Distinct().Count());
    }

    [Fact]
    public async Task AJobWhosePagesCannotTakeThePlanYetStartsWhenTheyCan()
    {
        // A page cannot store its part of the plan (storage out of reach, or the page placed on a silo
        // that just left): that is the cluster's trouble, not the input's, so the job waits and starts.
        var id = Work.NewJobId();
        var names = Enumerable.Range(0, 2 * ImagesPerPage).Select(i => $"img-{i:D5}.png").ToArray();
        var job = cluster.Job(id);
        cluster.Storage.FailWrites(cluster.Client.GetGrain<IJobPageGrain>(1, id).GetGrainId(), times: 2);

        var submitted = await job.SubmitAsync(Work.Spec(cluster.Temp.Folder(id, names), cluster.Temp.File(id + "-out"), shardSize: 8));
        var running = submitted;
        for (var wait = 0; wait < 300 && running.State == JobState.Planning; wait++)
        {
            await Task.Delay(100);
            running = await job.GetStatusAsync();
        }

        Assert.Equal((JobState.Planning, null), (submitted.State, submitted.Error));
        Assert.Equal((JobState.Running, 2 * ImagesPerPage), (running.State, running.Total));
        var leases = await job.LeaseAsync("worker-a", 2 * ImagesPerPage / 8);
        foreach (var lease in leases)
        {
            await Work.CompleteAllAsync(job, lease, "worker-a");
        }

        var status = await Work.WaitUntilFinishedAsync(job, TimeSpan.FromSeconds(30));
        Assert.Equal((JobState.Completed, 2 * ImagesPerPage), (status.State, status.Done));
    }

    [Fact]
    public async Task AJobThatActivatesAgainFindsItsHeldShardsAndFailuresInItsPages()
    {
        var (job, images) = await SubmitAsync(600, shardSize: 8);

        // 40 shards: the 32 of page 0, then 8 of page 1.
        var leases = await job.LeaseAsync("worker-a", 40);
        Assert.Equal(40, leases.Count);
        Assert.Equal((32, 8), (leases.Count(l => l.Page == 0), leases.Count(l => l.Page == 1)));
        Assert.Equal(320, leases.SelectMany(l => l.Images).Distinct().Count());

        // Half of them finish: on each page one shard's images fail for good, the others are segmented.
        var finished = leases.Where((_, i) => i % 2 == 0).ToList();
        foreach (var lease in finished)
        {
            var failing = lease.ShardId == 0;
            await job.CompleteAsync(Work.Result(lease, "worker-a", lease.Images.Select(i => failing ? Work.Failed(i, "5 channels: use 1 or 3", retryable: false) : Work.Segmented(i))));
        }

        var before = await job.GetStatusAsync();
        Assert.Equal((JobState.Running, 144, 16, 160), (before.State, before.Done, before.Failed, before.InProgress));

        await cluster.DeactivateAsync(job);

        var after = await job.GetStatusAsync();
        Assert.Equal((before.State, before.Total, before.Done, before.Failed, before.InProgress), (after.State, after.Total, after.Done, after.Failed, after.InProgress));
        Assert.Equal(before.Failures.OrderBy(f => f.Name, StringComparer.Ordinal), after.Failures.OrderBy(f => f.Name, StringComparer.Ordinal));

        // The shards still held are still the worker's, on both pages; another worker gets the rest.
        var held = leases.Where((_, i) => i % 2 == 1).ToList();
        Assert.Empty(await job.RenewAsync("worker-a", [.. held.Select(l => l.Ref)]));
        var rest = await job.LeaseAsync("worker-b", 100);
        Assert.Equal(images - 320, rest.Sum(l => l.Images.Count));
        Assert.Empty(rest.SelectMany(l => l.Images).Intersect(leases.SelectMany(l => l.Images)));

        foreach (var lease in held.Concat(rest))
        {
            await Work.CompleteAllAsync(job, lease, held.Contains(lease) ? "worker-a" : "worker-b");
        }

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, images - 16, 16), (status.State, status.Done, status.Failed));
        var report = await Work.ReadReportAsync(status.Spec!.Output);
        Assert.Equal(new ReportCounts(images, images - 16, 16), report.Counts);
        Assert.Equal(images, report.Images.Select(i => i.Name).Concat(report.Failures.Select(f => f.Name)).Distinct().Count());
    }

    [Fact]
    public async Task AStatusListsTheFirstFailuresAndTheReportListsThemAll()
    {
        var (job, images) = await SubmitAsync(300, shardSize: 10);
        while (await job.LeaseAsync("worker-a", 8) is { Count: > 0 } leases)
        {
            foreach (var lease in leases)
            {
                await job.CompleteAsync(Work.Result(lease, "worker-a", lease.Images.Select(i => Work.Failed(i, "truncated", retryable: false))));
            }
        }

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, 0, images), (status.State, status.Done, status.Failed));
        Assert.Equal(JobStatus.FailuresListed, status.Failures.Count);
        var report = await Work.ReadReportAsync(status.Spec!.Output);
        Assert.Equal(images, report.Failures.Count);
        Assert.Equal(images, report.Failures.Select(f => f.Name).Distinct().Count());
    }

    [Fact]
    public async Task ALargeImageOnALaterPageHasItsBandsLeasedFirst()
    {
        var (job, _) = await SubmitAsync(2 * ImagesPerPage, shardSize: 8, regionSize: 128);
        var pageOne = (await job.LeaseAsync("worker-a", 33)).Single(l => l.Page == 1);
        await job.CompleteAsync(Work.Result(pageOne, "worker-a", [new ImageOversized { Name = pageOne.Images[0], Size = new ImageSize(1000, 700, 64), Silo = "silo-a" }, .. pageOne.Images.Skip(1).Select(i => Work.Segmented(i))]));

        // Page 0 still has shards waiting, but the bands, on page 1, come first.
        var next = await job.LeaseAsync("worker-b", 2);
        Assert.Equal(2, next.Count);
        Assert.All(next, lease => Assert.Equal((1, pageOne.Images[0]), (lease.Page, Assert.IsType<BandWork>(lease.Work).Image)));
    }

    [Fact]
    public async Task AJobWhosePlanningWasCutShortIsPlannedAgainWhenItNextActivates()
    {
        // What a coordinator that died while planning leaves: the job in Planning, one page of an older listing.
        var id = Work.NewJobId();
        var names = Enumerable.Range(0, 300).Select(i => $"img-{i:D5}.png").ToArray();
        var spec = Work.Spec(cluster.Temp.Folder(id, names), cluster.Temp.File(id + "-out"), shardSize: 8);
        var job = cluster.Job(id);
        cluster.Storage.Store(job.GetGrainId(), new JobRecord { Spec = spec, State = JobState.Planning, Submitted = cluster.Clock.GetUtcNow() });
        cluster.Storage.Store(
            cluster.Client.GetGrain<IJobPageGrain>(0, id).GetGrainId(),
            new JobPageRecord { Rules = PageRules.Of(spec), Shards = [new ShardRecord { Id = 0, Work = new ImagesWork(["gone.png"]) }] });

        var status = await job.GetStatusAsync();
        for (var tries = 0; status.State == JobState.Planning && tries < 100; tries++)
        {
            await Task.Delay(50);
            status = await job.GetStatusAsync();
        }

        Assert.Equal((JobState.Running, 300), (status.State, status.Total));
        Assert.Contains(id, await cluster.Queue.GetActiveAsync());
        while (await job.LeaseAsync("worker-a", 16) is { Count: > 0 } leases)
        {
            Assert.DoesNotContain("gone.png", leases.SelectMany(l => l.Images));
            foreach (var lease in leases)
            {
                await Work.CompleteAllAsync(job, lease, "worker-a");
            }
        }

        Assert.Equal((JobState.Completed, 300), ((await job.GetStatusAsync()).State, (await job.GetStatusAsync()).Done));
    }

    [Fact]
    public async Task AJobWhoseCoordinatorDiedAfterItEndedWritesItsReportWhenItNextActivates()
    {
        var (job, _) = await SubmitAsync(2, shardSize: 2);
        var output = cluster.Temp.File(job.GetPrimaryKeyString() + "-out");
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));

        // The write that ends the job lands but seems to fail, so the report waits to be written again (the
        // worker's result stands: its call succeeds); the coordinator is gone before that.
        cluster.Storage.FailAfterNextWrite(job.GetGrainId());
        await Work.CompleteAllAsync(job, lease, "worker-a");
        Assert.False(File.Exists(Path.Combine(output, JobReport.FileName)));
        await cluster.DeactivateAsync(job);

        var status = await Work.WaitUntilFinishedAsync(job, TimeSpan.FromSeconds(5));

        Assert.Equal((JobState.Completed, 2), (status.State, status.Done));
        var report = await Work.ReadReportAsync(output);
        Assert.Equal((JobState.Completed, 2), (report.State, report.Counts.Done));
    }

    [Fact]
    public async Task AJobWhoseLastShardFinishedOnItsPageWhileItMovedEndsWhenItActivatesAgain()
    {
        var (job, _) = await SubmitAsync(4, shardSize: 2);
        var id = job.GetPrimaryKeyString();
        var output = cluster.Temp.File(id + "-out");
        var leases = await job.LeaseAsync("worker-a", 2);
        Assert.Equal(2, leases.Count);
        await Work.CompleteAllAsync(job, leases[0], "worker-a");

        // The last result reaches its page, but the answer never comes back to the job, whose silo then dies.
        var last = leases[1];
        await cluster.Client.GetGrain<IJobPageGrain>(last.Page, id).CompleteAsync(Work.Result(last, "worker-a", last.Images.Select(i => Work.Segmented(i))));
        await cluster.DeactivateAsync(job);

        var status = await Work.WaitUntilFinishedAsync(job, TimeSpan.FromSeconds(5));

        Assert.Equal((JobState.Completed, 4), (status.State, status.Done));
        Assert.Equal((JobState.Completed, 4), ((await Work.ReadReportAsync(output)).State, (await Work.ReadReportAsync(output)).Counts.Done));
    }

    [Fact]
    public async Task ALeaseAPageStoredButWhoseAnswerWasLostGoesBackWithoutCostingATry()
    {
        var (job, _) = await SubmitAsync(6, shardSize: 2);
        var id = job.GetPrimaryKeyString();
        cluster.Storage.FailAfterNextWrite(cluster.Client.GetGrain<IJobPageGrain>(0, id).GetGrainId());

        // The page stores the lease, then its answer is lost: no worker has the shard.
        await Assert.ThrowsAnyAsync<Exception>(() => job.LeaseAsync("worker-a", 1));

        // The next lease finds the shard out, unclaimed, and hands it out again with the rest.
        var leases = await job.LeaseAsync("worker-b", 3);
        Assert.Equal(6, leases.Sum(l => l.Images.Count));
        foreach (var lease in leases)
        {
            await Work.CompleteAllAsync(job, lease, "worker-b");
        }

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.Completed, 6, 0), (status.State, status.Done, status.Failed));
    }

    private async Task<(IJobGrain Job, int Images)> SubmitAsync(int images, int shardSize, int regionSize = JobSpec.DefaultRegionSize)
    {
        var id = Work.NewJobId();
        var names = Enumerable.Range(0, images).Select(i => $"img-{i:D5}.png").ToArray();
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(cluster.Temp.Folder(id, names), cluster.Temp.File(id + "-out"), shardSize: shardSize) with { RegionSize = regionSize });
        return (job, images);
    }

    /// <summary>Which of these pages of a job are still active, once deactivations asked for have had a few seconds to happen.</summary>
    private async Task<List<int>> PagesInMemoryAsync(string jobId, IReadOnlyCollection<int> pages)
    {
        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        var names = pages.ToDictionary(page => $"jobpage/{page}+{jobId}", page => page);
        var active = new List<int>();
        for (var wait = 0; wait < 50; wait++)
        {
            var grains = await management.GetDetailedGrainStatistics();
            active = [.. grains.Select(g => g.GrainId.ToString()).Where(names.ContainsKey).Select(id => names[id])];
            if (active.Count == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        return active;
    }

    /// <summary>Runs a job of that many images to its end, a worker's way, and gives what its grains wrote.</summary>
    private async Task<(MeasuredGrainStorage.Written Job, List<MeasuredGrainStorage.Written> Pages)> RunToTheEndAsync(int images)
    {
        var (job, _) = await SubmitAsync(images, shardSize: 8);
        while (await job.LeaseAsync("worker-a", 16) is { Count: > 0 } leases)
        {
            foreach (var lease in leases)
            {
                await Work.CompleteAllAsync(job, lease, "worker-a");
            }
        }

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.Completed, images), (status.State, status.Done));
        var report = await Work.ReadReportAsync(status.Spec!.Output);
        Assert.Equal(images, report.Images.Select(i => i.Name).Distinct().Count());

        var written = cluster.Storage.WrittenFor(status.JobId);
        var pages = written.Where(w => w.Key.Type.ToString()!.Contains("page", StringComparison.Ordinal)).Select(w => w.Value).ToList();
        return (Assert.Single(written, w => w.Key.Key.ToString() == status.JobId).Value, pages);
    }
}
