using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// --resume into a blob output, on real silos: the manifests a first job left in the output are all a
/// second job needs (they outlive the first job's cluster), a large image done band by band is
/// skipped like any other, and an output lost since is made again.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class ResumeTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task ASecondClusterResumesABlobOutputSkippingWhatIsDoneAndRedoingWhatWasLost()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var prefix = "resume-" + Guid.NewGuid().ToString("N")[..8];
        JobOutcome first;
        await using (var cluster = await SiloCluster.StartAsync(fixture.Silos, "it-resume-1", 1, deadline.Token))
        {
            first = await fixture.RunJobAsync(cluster, prefix, null, deadline.Token);
        }

        output.WriteLine(IntegrationFixture.Describe(first.Status));
        Assert.Equal((Dataset.GoodCount, Dataset.Corrupt.Count), (first.Status.Done, first.Status.Failed));
        var lost = Dataset.MaskOf(Dataset.Good[5].Name);
        await fixture.Data.DeleteBlobAsync($"{prefix}/{lost}", cancellationToken: deadline.Token);

        await using var second = await SiloCluster.StartAsync(fixture.Silos, "it-resume-2", 1, deadline.Token);
        var jobId = SegmentationClient.NewJobId();
        var status = await second.Client.SubmitAsync(jobId, fixture.Spec(prefix) with { Resume = true });
        while (!status.IsFinished)
        {
            await Task.Delay(200, deadline.Token);
            status = await second.Client.GetStatusAsync(jobId);
        }

        output.WriteLine(IntegrationFixture.Describe(status));
        var files = await fixture.ReadOutputAsync(prefix, deadline.Token);
        var report = JobReport.FromJson(System.Text.Encoding.UTF8.GetString(files[JobReport.FileName]));
        Assert.True(status.State == JobState.CompletedWithFailures, IntegrationFixture.Describe(status) + "\n" + second.Logs());
        Assert.Equal(new ReportCounts(Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count, Skipped: Dataset.GoodCount - 1), report.Counts);
        Assert.Equal((Dataset.GoodCount - 1, Dataset.GoodCount), (status.Skipped, status.Done));
        Assert.Equal(first.Status.JobId, report.Resume!.PreviousJob);
        Assert.Contains(report.Resume.Skipped, note => note.Name == Dataset.Good[1].Name); // the large image, done in bands
        Assert.Equal([new ReportNote(Dataset.Good[5].Name, $"{lost} missing")], report.Resume.Redone);
        Assert.Equal(first.Masks[lost], files[lost]);
    }
}
