using System.Text.Json;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Client.Tests;

/// <summary><c>unetpp submit</c>, <c>status</c>, <c>watch</c>, <c>list</c> and <c>cancel</c> against a running silo, as a script runs them.</summary>
[Collection(SharedClusterSilo.Name)]
public sealed class SubmitCommandTests(ClusterSiloFixture silo)
{
    [Fact]
    public async Task SubmitAndWaitWritesEveryMaskAndExitsZero()
    {
        var output = silo.NewOutput();

        var result = await CliRunner.RunAsync(["submit", silo.Images, "--out", output, "--model", silo.Model, "--tta", "--wait", .. silo.Cluster]);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Error + result.Output);
        foreach (var name in new[] { "a", "plate-1/b", "c" })
        {
            Assert.True(File.Exists(Path.Combine(output, "masks", name + ".png")), $"no mask for {name}");
        }

        // The job options are shared with segment, so submit carries --tta to the silo's workers too.
        Assert.True(JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, "report.json"))).Model.Tta);
        Assert.Contains("Done: 3 of 3", result.Output, StringComparison.Ordinal);
        Assert.Contains("Submitted job ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitPrintsTheJobIdThatStatusAndWatchFollow()
    {
        var output = silo.NewOutput();

        var submitted = await CliRunner.RunAsync(["submit", silo.Images, "--out", output, "--model", silo.Model, "--id", "status-and-watch", .. silo.Cluster]);

        Assert.True(submitted.ExitCode == ExitCodes.Success, submitted.Error);
        Assert.Equal("status-and-watch", submitted.Output.Trim());

        var watched = await CliRunner.RunAsync(["watch", "status-and-watch", .. silo.Cluster]);
        Assert.True(watched.ExitCode == ExitCodes.Success, watched.Error + watched.Output);
        Assert.Contains("Done: 3 of 3", watched.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "masks", "a.png")));

        var status = await CliRunner.RunAsync(["status", "status-and-watch", .. silo.Cluster]);
        Assert.Equal(ExitCodes.Success, status.ExitCode);
        Assert.Contains("Job status-and-watch: Completed", status.Output, StringComparison.Ordinal);
        Assert.Contains("3 of 3 finished: 3 done, 0 failed", status.Output, StringComparison.Ordinal);

        var json = await CliRunner.RunAsync(["status", "status-and-watch", "--json", .. silo.Cluster]);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal("Completed", document.RootElement.GetProperty("state").GetString());
        Assert.Equal(3, document.RootElement.GetProperty("done").GetInt32());
        Assert.Equal(output, document.RootElement.GetProperty("output").GetString());
    }

    [Fact]
    public async Task SubmitWithJsonPrintsTheIdAndStateAndListShowsTheJob()
    {
        var result = await CliRunner.RunAsync(["submit", silo.Images, "--out", silo.NewOutput(), "--model", silo.Model, "--json", .. silo.Cluster]);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
        using var document = JsonDocument.Parse(result.Output);
        var jobId = document.RootElement.GetProperty("jobId").GetString()!;
        Assert.StartsWith("job-", jobId, StringComparison.Ordinal);
        Assert.Equal("Running", document.RootElement.GetProperty("state").GetString());

        var list = await CliRunner.RunAsync(["list", .. silo.Cluster]);
        Assert.Equal(ExitCodes.Success, list.ExitCode);
        Assert.Contains(list.Output.Split('\n'), line => line.StartsWith(jobId, StringComparison.Ordinal) && line.Contains(" 3 ", StringComparison.Ordinal));

        var listJson = await CliRunner.RunAsync(["list", "--json", .. silo.Cluster]);
        using var jobs = JsonDocument.Parse(listJson.Output);
        var entry = jobs.RootElement.EnumerateArray().Single(j => j.GetProperty("jobId").GetString() == jobId);
        Assert.Equal(3, entry.GetProperty("total").GetInt32());

        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync(["watch", jobId, .. silo.Cluster])).ExitCode);
    }

    [Fact]
    public async Task AnEndedJobSubmittedAgainSaysSoAndWithResumeRunsAgainIntoItsOutput()
    {
        var output = silo.NewOutput();
        string[] submit = ["submit", silo.Images, "--out", output, "--model", silo.Model, "--id", "to-resume", .. silo.Cluster];
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync([.. submit, "--wait"])).ExitCode);

        var again = await CliRunner.RunAsync(submit);
        var resumed = await CliRunner.RunAsync([.. submit, "--resume", "--wait"]);

        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Contains("Job to-resume has already ended (Completed: 3 of 3 done, 0 failed); give --resume to continue it", again.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Follow it with", again.Error, StringComparison.Ordinal);
        Assert.True(resumed.ExitCode == ExitCodes.Success, resumed.Error + resumed.Output);
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName)));
        Assert.Equal(new ReportCounts(3, 3, 0, Skipped: 3), report.Counts);
        Assert.Equal("to-resume", report.Resume!.PreviousJob);
        var status = await CliRunner.RunAsync(["status", "to-resume", "--json", .. silo.Cluster]);
        using var document = JsonDocument.Parse(status.Output);
        Assert.Equal((3, 3, 0), (document.RootElement.GetProperty("done").GetInt32(), document.RootElement.GetProperty("skipped").GetInt32(), document.RootElement.GetProperty("leftOut").GetInt32()));
        Assert.Contains("Resumed     3 of the done skipped as done and current, 0 left out", (await CliRunner.RunAsync(["status", "to-resume", .. silo.Cluster])).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelStopsARunningJob()
    {
        var images = silo.ManyImages(count: 40, edge: 256);
        var output = silo.NewOutput();
        var submitted = await CliRunner.RunAsync(["submit", images, "--out", output, "--model", silo.Model, "--shard-size", "1", "--id", "to-cancel", .. silo.Cluster]);
        Assert.True(submitted.ExitCode == ExitCodes.Success, submitted.Error);

        var cancelled = await CliRunner.RunAsync(["cancel", "to-cancel", .. silo.Cluster]);

        Assert.True(cancelled.ExitCode == ExitCodes.Success, cancelled.Error);
        Assert.Contains("Job to-cancel Cancelled", cancelled.Output, StringComparison.Ordinal);
        var status = await CliRunner.RunAsync(["status", "to-cancel", "--json", .. silo.Cluster]);
        using var document = JsonDocument.Parse(status.Output);
        Assert.Equal("Cancelled", document.RootElement.GetProperty("state").GetString());
        var done = document.RootElement.GetProperty("done").GetInt32();
        Assert.True(done < 40);

        // The status and the report count exactly the masks on disk: the images being written at the cancel landed and count.
        var masks = Directory.Exists(Path.Combine(output, "masks")) ? Directory.EnumerateFiles(Path.Combine(output, "masks")).Count() : 0;
        Assert.Equal(done, masks);
        Assert.Equal(done, JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(output, JobReport.FileName))).Counts.Done);
        Assert.Empty(Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories));

        // Watching a cancelled job ends at once, with the exit code of a job that did not do every image.
        Assert.Equal(ExitCodes.ImagesFailed, (await CliRunner.RunAsync(["watch", "to-cancel", .. silo.Cluster])).ExitCode);
    }

    [Fact]
    public async Task ResubmittingTheSameIdWithAnotherSpecIsRefused()
    {
        var first = await CliRunner.RunAsync(["submit", silo.Images, "--out", silo.NewOutput(), "--model", silo.Model, "--id", "taken", "--wait", .. silo.Cluster]);
        Assert.Equal(ExitCodes.Success, first.ExitCode);

        var second = await CliRunner.RunAsync(["submit", silo.Images, "--out", silo.NewOutput(), "--model", silo.Model, "--id", "taken", .. silo.Cluster]);

        Assert.Equal(ExitCodes.UsageError, second.ExitCode);
        Assert.Contains("job taken already exists with a different specification", second.Error, StringComparison.Ordinal);
    }
}
