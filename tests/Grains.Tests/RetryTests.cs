using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>Failures that another try may cure are retried up to the job's limit; others are recorded at once; the job goes on.</summary>
[Collection(CoordinatorGroup.Name)]
public sealed class RetryTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task ARetryableFailureIsRetriedUntilMaxAttemptsThenRecordedWithTheCount()
    {
        var job = await SubmitAsync(["a.png", "b.png"], maxAttempts: 3);

        // First try: a succeeds, b fails in a way another try may cure.
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Work.Segmented("a.png"), Work.Failed("b.png", "network timeout", retryable: true)]));
        Assert.Equal((JobState.Running, 1, 0), Counts(await job.GetStatusAsync()));

        for (var attempt = 2; attempt <= 3; attempt++)
        {
            lease = Assert.Single(await job.LeaseAsync("worker-b", 1));
            Assert.Equal(["b.png"], lease.Images); // only what is still open
            await job.CompleteAsync(Work.Result(lease, "worker-b", [Work.Failed("b.png", "network timeout", retryable: true)]));
        }

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, 1, 1), Counts(status));
        var failure = Assert.Single(status.Failures);
        Assert.Equal(new ImageFailure("b.png", "network timeout (after 3 attempts)"), failure);
        Assert.Empty(await job.LeaseAsync("worker-a", 1));
    }

    [Fact]
    public async Task ANonRetryableFailureIsRecordedAtOnce()
    {
        var job = await SubmitAsync(["a.png", "bad.png"], maxAttempts: 3);

        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Work.Segmented("a.png"), Work.Failed("bad.png", "truncated or corrupt", retryable: false)]));

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, 1, 1), Counts(status));
        Assert.Equal(new ImageFailure("bad.png", "truncated or corrupt"), Assert.Single(status.Failures));
    }

    [Fact]
    public async Task AnImageMissingFromAResultStaysOpenWithoutUsingATry()
    {
        var job = await SubmitAsync(["a.png", "b.png"], maxAttempts: 1);

        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Work.Segmented("a.png")]));
        lease = Assert.Single(await job.LeaseAsync("worker-a", 1));
        Assert.Equal(["b.png"], lease.Images);
        await Work.CompleteAllAsync(job, lease, "worker-a");

        Assert.Equal((JobState.Completed, 2, 0), Counts(await job.GetStatusAsync()));
    }

    [Fact]
    public async Task AnImageWhoseWorkerKeepsDyingFailsAfterMaxAttemptsWithTheReason()
    {
        var job = await SubmitAsync(["a.png", "killer.png"], maxAttempts: 2);
        var lease = Assert.Single(await job.LeaseAsync("worker-a", 1));

        // Attempt 1 fails in a way another try may cure; a.png is done and is not tried again.
        await job.CompleteAsync(Work.Result(lease, "worker-a", [Work.Segmented("a.png"), Work.Failed("killer.png", "out of memory", retryable: true)]));

        // Attempt 2 takes its worker down: the lease expires, the limit is reached and the image fails with why.
        Assert.Equal(["killer.png"], Assert.Single(await job.LeaseAsync("worker-b", 1)).Images);
        cluster.Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Empty(await job.LeaseAsync("worker-c", 1));

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, 1, 1), Counts(status));
        var failure = Assert.Single(status.Failures);
        Assert.Equal("killer.png", failure.Name);
        Assert.Contains("stopped answering", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("lease expired", failure.Reason, StringComparison.Ordinal);
        Assert.EndsWith("(after 2 attempts)", failure.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(status.JobId, await cluster.Queue.GetActiveAsync());
    }

    [Fact]
    public async Task EveryExpiryCountsAsAnAttempt()
    {
        var job = await SubmitAsync(["a.png", "b.png"], maxAttempts: 3);

        for (var i = 0; i < 3; i++)
        {
            var lease = Assert.Single(await job.LeaseAsync($"worker-{i}", 1));
            Assert.Equal(["a.png", "b.png"], lease.Images);
            cluster.Clock.Advance(TimeSpan.FromSeconds(11));
        }

        Assert.Empty(await job.LeaseAsync("worker-x", 1));
        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.CompletedWithFailures, 0, 2), Counts(status));
        Assert.All(status.Failures, f => Assert.EndsWith("(lease expired) (after 3 attempts)", f.Reason, StringComparison.Ordinal));
        var report = await Work.ReadReportAsync(status.Spec!.Output);
        Assert.Equal(new ReportCounts(2, 0, 2), report.Counts);
    }

    private static (JobState, int, int) Counts(JobStatus status) => (status.State, status.Done, status.Failed);

    private async Task<IJobGrain> SubmitAsync(string[] images, int maxAttempts)
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, images);
        var job = cluster.Job(id);
        var spec = Work.Spec(input, cluster.Temp.File(id + "-out"), shardSize: images.Length, maxAttempts: maxAttempts);
        Assert.Equal(JobState.Running, (await job.SubmitAsync(spec)).State);
        return job;
    }
}
