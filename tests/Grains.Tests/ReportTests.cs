using System.Text.RegularExpressions;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>When the last shard lands the job ends and writes report.json and report.html next to the masks.</summary>
[Collection(CoordinatorGroup.Name)]
public sealed class ReportTests(CoordinatorFixture cluster)
{
    [Fact]
    public async Task TheLastShardEndsTheJobAndTheReportSaysWhatHappenedToEveryImage()
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, "c.png", "a.png", "plate/b.png", "d.tif", "d.png", "e.png");
        var output = cluster.Temp.File(id + "-out");
        var job = cluster.Job(id);
        var spec = Work.Spec(input, output, shardSize: 2) with { Model = "models/small.onnx", Mode = "L2", TileSize = 64 };
        await job.SubmitAsync(spec);

        var a = await job.LeaseAsync("worker-a", 2);
        var b = await job.LeaseAsync("worker-b", 2);
        Assert.Equal(3, a.Count + b.Count);
        Assert.False(File.Exists(Path.Combine(output, JobReport.FileName)));
        var scores = new Dictionary<string, double> { ["a.png"] = 0.5, ["c.png"] = 1.0 };
        foreach (var (lease, worker, silo) in a.Select(l => (l, "worker-a", "silo-a")).Concat(b.Select(l => (l, "worker-b", "silo-b"))))
        {
            var images = lease.Images.Select(name => name == "e.png"
                ? Work.Failed(name, "5 channels: use 1 or 3", retryable: false)
                : Work.Segmented(name, silo, scores.TryGetValue(name, out var iou) ? iou : null));
            await job.CompleteAsync(Work.Result(lease, worker, images, tiles: 10));
        }

        var status = await job.GetStatusAsync();
        Assert.Equal(JobState.CompletedWithFailures, status.State);
        Assert.Equal((6, 4, 2), (status.Total, status.Done, status.Failed));

        var report = await Work.ReadReportAsync(output);
        Assert.Equal(id, report.JobId);
        Assert.Equal(JobState.CompletedWithFailures, report.State);
        Assert.Equal((input, output), (report.Input, report.Output));
        Assert.Equal(new ReportModel("models/small.onnx", "L2", 64, 0.25, null, false), report.Model);
        Assert.Equal(new ReportCounts(6, 4, 2), report.Counts);
        Assert.Equal(["a.png", "c.png", "d.png", "plate/b.png"], report.Images.Select(i => i.Name));
        Assert.Equal(["masks/a.png", "masks/c.png", "masks/d.png", "masks/plate/b.png"], report.Images.Select(i => i.Mask));
        Assert.Equal(["d.tif", "e.png"], report.Failures.Select(f => f.Name));
        Assert.Contains("already taken by d.png", report.Failures[0].Reason, StringComparison.Ordinal);
        Assert.Equal("5 channels: use 1 or 3", report.Failures[1].Reason);
        // Shards in name order: [a, c] and [d, e] to worker-a, [plate/b] to worker-b; e failed.
        Assert.Equal(new Dictionary<string, int> { ["silo-a"] = 3, ["silo-b"] = 1 }, report.ImagesBySilo);
        Assert.Equal(30, report.Throughput.Tiles);
        Assert.NotNull(report.Started);
        Assert.NotNull(report.Finished);
        var quality = Assert.IsType<ReportQuality>(report.Quality);
        Assert.Equal(2, quality.Images);
        Assert.Equal(0.75, quality.MeanIoU, 9);
        Assert.Equal(((2 * 0.5 / 1.5) + 1.0) / 2, quality.MeanDice, 9);
    }

    [Fact]
    public async Task ImagesBySiloCountsWhatEachSiloSegmented()
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, "1.png", "2.png", "3.png", "4.png", "5.png");
        var output = cluster.Temp.File(id + "-out");
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(input, output, shardSize: 1));

        foreach (var (lease, i) in (await job.LeaseAsync("worker", 5)).Select((l, i) => (l, i)))
        {
            await Work.CompleteAllAsync(job, lease, "worker", silo: i < 3 ? "10.0.0.1:11111" : "10.0.0.2:11111");
        }

        var report = await Work.ReadReportAsync(output);
        Assert.Equal(JobState.Completed, report.State);
        Assert.Equal(new Dictionary<string, int> { ["10.0.0.1:11111"] = 3, ["10.0.0.2:11111"] = 2 }, report.ImagesBySilo);
        Assert.Null(report.Quality);
        Assert.Empty(report.Failures);
        Assert.Equal(new ReportCounts(5, 5, 0), report.Counts);
    }

    [Fact]
    public async Task TheReportPageListsEveryFailureAndSaysWhyAThumbnailIsMissing()
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, "a.png", "b.png", "c & <d>.png");
        var output = cluster.Temp.File(id + "-out");
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(input, output, shardSize: 3));

        var lease = Assert.Single(await job.LeaseAsync("worker", 1));
        EndToEndFixture.WriteImage(Path.Combine(output, "masks", "b.png"), 32, 24, seed: 1);
        await job.CompleteAsync(Work.Result(lease, "worker", [Work.Segmented("a.png"), Work.Segmented("b.png"), Work.Failed("c & <d>.png", "it is <corrupt>", retryable: false)]));

        var status = await job.GetStatusAsync();
        Assert.Equal(JobState.CompletedWithFailures, status.State);
        Assert.Null(status.Error);
        var html = await File.ReadAllTextAsync(Path.Combine(output, JobReport.PageFileName));
        Assert.Contains("<td class=\"name\">c &amp; &lt;d&gt;.png</td><td class=\"reason\">it is &lt;corrupt&gt;</td>", html, StringComparison.Ordinal);

        // The inputs here are a few bytes of text, and only b.png has a mask: each says so instead of showing a broken picture.
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(html, "<div class=\"missing\">No thumbnail: "));
        Assert.Contains("No thumbnail: Object &#39;masks/a.png&#39; was not found", html, StringComparison.Ordinal);
        Assert.Contains("No thumbnail: b.png: not a PNG, JPEG or TIFF image", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReportPageThatCannotBeWrittenLeavesTheJobAndReportJsonStanding()
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.Folder(id, "a.png");
        var output = cluster.Temp.File(id + "-out");
        Directory.CreateDirectory(Path.Combine(output, JobReport.PageFileName, "in-the-way"));
        var job = cluster.Job(id);
        await job.SubmitAsync(Work.Spec(input, output));

        await Work.CompleteAllAsync(job, Assert.Single(await job.LeaseAsync("worker", 1)), "worker");

        var status = await job.GetStatusAsync();
        Assert.Equal(JobState.Completed, status.State);
        Assert.StartsWith($"{JobReport.PageFileName} could not be written to {output}: ", status.Error, StringComparison.Ordinal);
        Assert.Equal(new ReportCounts(1, 1, 0), (await Work.ReadReportAsync(output)).Counts);
    }
}
