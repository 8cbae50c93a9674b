using System.Diagnostics;
using NetVips;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>A whole job on a two-silo test cluster: the silos' own device workers pull, segment and report every image.</summary>
[Collection(EndToEndGroup.Name)]
public sealed class EndToEndTests(EndToEndFixture cluster)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task EveryImageGetsExactlyOneMaskAndTheReportCountsThem()
    {
        var id = Work.NewJobId();
        var output = cluster.Temp.File(id);
        var job = cluster.Client.GetGrain<IJobGrain>(id);
        var spec = new JobSpec { Input = cluster.Images, Output = output, Model = cluster.Model, ShardSize = 3 };

        var submitted = await job.SubmitAsync(spec);
        Assert.Equal(JobState.Running, submitted.State);
        Assert.Equal(EndToEndFixture.ImageCount, submitted.Total);
        var status = await WaitUntilFinishedAsync(job);

        Assert.True(status.State == JobState.Completed, $"{status.State}: {string.Join("; ", status.Failures.Select(f => $"{f.Name}: {f.Reason}"))} {status.Error}");
        Assert.Equal((EndToEndFixture.ImageCount, 0, 0), (status.Done, status.Failed, status.InProgress));
        var masks = Path.Combine(output, "masks");
        Assert.Equal(
            cluster.Expected.Select(e => e.Name).Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(masks, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(masks, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
        foreach (var (name, width, height) in cluster.Expected)
        {
            using var mask = Image.NewFromFile(Path.Combine(masks, name));
            Assert.Equal((width, height, 1), (mask.Width, mask.Height, mask.Bands));
        }

        var report = await Work.ReadReportAsync(output);
        Assert.Equal(JobState.Completed, report.State);
        Assert.Equal(new ReportCounts(EndToEndFixture.ImageCount, EndToEndFixture.ImageCount, 0), report.Counts);
        Assert.Equal(cluster.Expected.Select(e => e.Name).Order(StringComparer.Ordinal), report.Images.Select(i => i.Name));
        Assert.All(report.Images, i => Assert.Equal($"masks/{i.Name}", i.Mask));
        Assert.All(report.Images, i => Assert.True(i.Tiles >= 1, $"{i.Name}: {i.Tiles} tiles"));
        Assert.Equal(report.Images.Sum(i => i.Tiles), report.Throughput.Tiles);
        Assert.Equal(EndToEndFixture.ImageCount, report.ImagesBySilo.Values.Sum());
        Assert.Empty(report.Failures);
        Assert.DoesNotContain(id, await cluster.Client.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).GetActiveAsync());

        var workers = await cluster.Client.GetGrain<IClusterViewGrain>(IClusterViewGrain.Key).GetWorkersAsync();
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.Equal("cpu", w.Device));
        Assert.Equal(2, workers.Select(w => w.Silo).Distinct().Count());
        Assert.Subset(workers.Select(w => w.Silo).ToHashSet(), report.ImagesBySilo.Keys.ToHashSet());
    }

    private static async Task<JobStatus> WaitUntilFinishedAsync(IJobGrain job)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await job.GetStatusAsync();
            if (status.IsFinished || clock.Elapsed > Patience)
            {
                return status;
            }

            await Task.Delay(200);
        }
    }
}
