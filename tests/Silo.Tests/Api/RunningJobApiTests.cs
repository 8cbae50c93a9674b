using System.Net;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Silo.Tests.Api;

/// <summary>
/// The job API on jobs that have not ended: on a silo whose device hangs at its first model run, a job
/// with good images stays running for as long as a test looks, and ends only when cancelled.
/// </summary>
[Collection(SharedApiSilos.Name)]
[Trait(TestTier.Category, TestTier.External)]
public sealed class RunningJobApiTests(ApiSilos silos)
{
    private ApiSilo Silo => silos.Stalled;

    [Fact]
    public async Task ARunningJobHasNoReportUntilCancelledThenItIsCancelledWithOne()
    {
        using var created = await Silo.SubmitAsync(new { input = silos.NewImages(broken: 0, good: 4), output = silos.NewOutput(), model = silos.Model, shardSize = 1 });
        var job = await Silo.ReadAsync<JobView>(created);
        Assert.Equal(JobState.Running, job.State);

        using (var early = await Silo.Http.GetAsync(new Uri($"/v1/jobs/{job.JobId}/report", UriKind.Relative)))
        {
            var problem = await Problem.ReadAsync(early, HttpStatusCode.Conflict);
            Assert.Equal($"job {job.JobId} is Running: its report.json is written when it ends; follow it at /v1/jobs/{job.JobId}/events.", problem.Detail);
        }

        using var cancelled = await Silo.Http.DeleteAsync(new Uri($"/v1/jobs/{job.JobId}", UriKind.Relative));
        var status = await Silo.ReadAsync<JobView>(cancelled);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal(JobState.Cancelled, status.State);
        Assert.False(status.Cancelling);
        Assert.Equal(0, status.Done);
        Assert.Equal(JobState.Cancelled, (await Silo.StatusAsync(job.JobId)).State);
        using var report = await Silo.Http.GetAsync(new Uri($"/v1/jobs/{job.JobId}/report", UriKind.Relative));
        var written = JobReport.FromJson(await report.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal(job.JobId, written.JobId);
        Assert.Equal(JobState.Cancelled, written.State);
        Assert.Equal(4, written.Counts.Total);
    }

    [Fact]
    public async Task AFollowerThatReconnectsWithItsLastEventIdMissesNothingAndGetsNoFailureTwice()
    {
        using var created = await Silo.SubmitAsync(new { input = silos.NewImages(broken: 3, good: 2), output = silos.NewOutput(), model = silos.Model, shardSize = 1, maxAttempts = 1 });
        var job = await Silo.ReadAsync<JobView>(created);

        // The first connection drops just after its first failure, with the job still running.
        string lastId;
        var failures = new List<ServerEvent>();
        await using (var first = await EventFeed.OpenAsync(Silo.Http, job.JobId))
        {
            var read = await first.ReadUntilAsync(e => e.Event == "failure");
            lastId = read[^1].Id!;
            failures.Add(read[^1]);
            Assert.Equal(JobState.Running, read.Last(e => e.Event == "status").Status.State);
        }

        await using var again = await EventFeed.OpenAsync(Silo.Http, job.JobId, lastId);
        Assert.Equal("2000", (await again.NextAsync())?.Retry);
        Assert.Equal("status", (await again.NextAsync())?.Event);
        foreach (var next in await again.ReadUntilAsync(e => e.Comment == "keep-alive"))
        {
            if (next.Event == "failure")
            {
                failures.Add(next);
            }
        }

        // Nothing changes on a stalled job: the stream is kept open by a comment, then the job is cancelled and ends it.
        using (var cancel = await Silo.Http.DeleteAsync(new Uri($"/v1/jobs/{job.JobId}", UriKind.Relative)))
        {
            Assert.Equal(JobState.Cancelled, (await Silo.ReadAsync<JobView>(cancel)).State);
        }

        var rest = await again.ReadUntilAsync(e => e.Event == "end");
        failures.AddRange(rest.Where(e => e.Event == "failure"));
        Assert.Equal(JobState.Cancelled, rest[^1].Status.State);
        Assert.Null(await again.NextAsync());

        Assert.Equal(["a-broken-0.png", "a-broken-1.png", "a-broken-2.png"], failures.Select(f => f.Failure.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["1", "2", "3"], failures.Select(f => f.Id!.Split(':')[1]));
        Assert.Equal(3, rest[^1].Status.Failed);
        Assert.EndsWith(":3", rest[^1].Id, StringComparison.Ordinal);
    }
}
