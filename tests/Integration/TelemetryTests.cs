using System.Text.Json;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// What operators watch, checked against the real tools: two silo processes run the integration job
/// while a real Prometheus scrapes them with the deployment's configuration; then each silo's
/// <c>/metrics</c> goes through <c>promtool</c>, the dashboard's queries run in Prometheus, and the
/// spans and log lines the silos sent are read back.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class TelemetryTests(IntegrationFixture fixture)
{
    private static readonly string[] Stages = ["blob_read", "decode", "queue_wait", "inference", "blend", "postprocess", "encode", "blob_write"];
    private static readonly object Gate = new();
    private static Task<TelemetryRun>? _run;

    [Fact]
    public async Task EverySilosMetricsPassPromtoolAndTheProjectsFamiliesLintClean()
    {
        var run = await RunAsync();

        Assert.All(run.Promtool, result =>
        {
            // 0: clean; 3: lint remarks only (Orleans' and the runtime's own names); 1 would be a format error.
            Assert.True(result.ExitCode is 0 or 3, $"promtool check metrics exited {result.ExitCode}:\n{result.Output}");
            Assert.DoesNotContain("error", result.Output, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(result.Output.Split('\n'), line => line.StartsWith("unetpp_", StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task TheProjectsMetricsAddUpToTheJob()
    {
        var run = await RunAsync();
        var samples = run.Samples;
        var report = run.Outcome.Report!;
        double Sum(string name, Func<Sample, bool>? where = null) => samples.Where(s => s.Name == name && (where?.Invoke(s) ?? true)).Sum(s => s.Value);

        Assert.True(Sum("unetpp_images_completed_total") >= Dataset.GoodCount, $"images completed: {Sum("unetpp_images_completed_total")}");
        Assert.True(Sum("unetpp_images_failed_total", s => s.Labels["reason"] == "bad_image") >= Dataset.Corrupt.Count);
        var tiles = Sum("unetpp_tiles_total");
        Assert.True(tiles >= report.Throughput.Tiles, $"tiles {tiles} < the report's {report.Throughput.Tiles}");
        Assert.True(Sum("unetpp_inference_batch_size_sum") >= tiles);
        Assert.Equal(Sum("unetpp_inference_batches_total"), Sum("unetpp_inference_batch_size_count"));
        Assert.True(Sum("unetpp_inference_batch_size_sum") <= 4 * Sum("unetpp_inference_batches_total"), "a batch held more tiles than the batch size");
        Assert.All(Stages, stage => Assert.True(
            Sum("unetpp_stage_duration_seconds_count", s => s.Labels["stage"] == stage) > 0, $"no {stage} durations"));
        Assert.True(Sum("unetpp_device_busy_seconds_total") > 0);
        Assert.All(samples.Where(s => s.Name == "unetpp_device_utilization_ratio"), s => Assert.InRange(s.Value, 0, 1));

        // The job is finished: nothing in flight, nothing queued, nothing held; one job coordinated, all of it done.
        Assert.All(samples.Where(s => s.Name is "unetpp_stage_images" or "unetpp_device_queue_tiles" or "unetpp_leases_held"), s => Assert.Equal(0, s.Value));
        Assert.Equal(2, samples.Count(s => s.Name == "unetpp_leases_held"));
        Assert.Equal(1, Sum("unetpp_jobs", s => s.Labels["state"] == "completed_with_failures"));
        double Job(string state) => Sum("unetpp_job_images", s => s.Labels["job_id"] == run.JobId && s.Labels["state"] == state);
        Assert.Equal((Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count, 0), (Job("total"), Job("done"), Job("failed"), Job("in_progress")));
        Assert.Equal(1, Sum("unetpp_job_progress_ratio", s => s.Labels["job_id"] == run.JobId));

        // Of two silos, only the coordinator's reports the job's waiting images: none, now it has ended.
        var waiting = Assert.Single(samples, s => s.Name == "unetpp_images_waiting" && s.Labels["job_id"] == run.JobId);
        Assert.Equal(0, waiting.Value);

        // Orleans', the runtime's and the process's metrics come along.
        foreach (var prefix in new[] { "orleans_", "dotnet_gc_", "process_cpu_time_seconds_total" })
        {
            Assert.Contains(samples, s => s.Name.StartsWith(prefix, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task PrometheusScrapesBothSilosAndSumsTheClustersTileRate()
    {
        var run = await RunAsync();

        var up = run.Queries[TelemetryRun.SilosUp];
        Assert.True(up.Success, up.Error);
        Assert.Equal(2, Assert.Single(up.Vector).Value);

        var rate = run.Queries[TelemetryRun.TileRate];
        Assert.True(rate.Success, rate.Error);
        Assert.True(Assert.Single(rate.Vector).Value > 0, "the cluster's tile rate is zero");

        // Summed over silos in Prometheus, the tiles are those the silos themselves report.
        var bySilo = run.Queries[TelemetryRun.TilesBySilo];
        Assert.Equal(run.SiloInstances.Order(StringComparer.Ordinal), bySilo.Vector.Select(v => v.Labels["instance"]).Order(StringComparer.Ordinal));
        Assert.Equal(run.Samples.Where(s => s.Name == "unetpp_tiles_total").Sum(s => s.Value), bySilo.Vector.Sum(v => v.Value));
        Assert.All(bySilo.Vector, v => Assert.True(v.Value > 0, $"{v.Labels["instance"]} segmented no tiles"));
    }

    [Fact]
    public async Task EveryDashboardQueryNamesOnlyExportedMetricsAndRunsInPrometheus()
    {
        var run = await RunAsync();
        var exported = run.Samples.Select(s => s.Name).Append("up").ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(run.DashboardQueries);
        Assert.All(run.DashboardQueries, promql =>
        {
            var unknown = PromQl.MetricNames(promql).Where(name => !exported.Contains(name)).ToList();
            Assert.True(unknown.Count == 0, $"{promql} names {string.Join(", ", unknown)}, which no silo exports");
            var result = run.Queries[promql];
            Assert.True(result.Success, $"{promql}: {result.Error}");
        });

        // A dashboard that shows nothing would pass the above: most of its queries must have data after a job.
        var withData = run.DashboardQueries.Count(q => run.Queries[q].Vector.Count > 0);
        Assert.True(withData * 4 >= run.DashboardQueries.Count * 3, $"only {withData} of {run.DashboardQueries.Count} dashboard queries returned data");
    }

    [Fact]
    public async Task TracesHangShardsUnderTheJobImagesUnderShardsAndStagesUnderImages()
    {
        var run = await RunAsync();
        var spans = run.Spans;

        var job = Assert.Single(spans, s => s.Name == "job" && s.Attributes.GetValueOrDefault("unetpp.job") == run.JobId);
        var shards = spans.Where(s => s.Name == "shard" && s.Attributes.GetValueOrDefault("unetpp.job") == run.JobId).ToList();
        Assert.NotEmpty(shards);
        Assert.All(shards, s => Assert.Equal((job.TraceId, job.SpanId), (s.TraceId, s.ParentSpanId)));
        var shardIds = shards.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);

        var images = spans.Where(s => s.Name == "image" && shardIds.Contains(s.ParentSpanId)).ToList();
        Assert.True(images.Count >= Dataset.Total, $"{images.Count} image spans under the job's shards");
        Assert.Contains(images, i => i.Attributes.ContainsKey("unetpp.band"));
        var imageIds = images.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        foreach (var stage in new[] { "blob_read", "decode", "inference", "blend", "postprocess", "encode", "blob_write" })
        {
            Assert.Contains(spans, s => s.Name == stage && imageIds.Contains(s.ParentSpanId) && s.TraceId == job.TraceId);
        }

        var ran = Assert.Single(spans, s => s.Name == "job.run");
        Assert.Equal((job.TraceId, job.SpanId), (ran.TraceId, ran.ParentSpanId));
    }

    [Fact]
    public async Task LogLinesAboutTheJobCarryItsIdAndNoneCarriesTheStorageKey()
    {
        var run = await RunAsync();
        var records = new List<JsonElement>();
        foreach (var line in run.LogLines.Where(l => l.StartsWith('{')))
        {
            using var document = JsonDocument.Parse(line);
            records.Add(document.RootElement.Clone());
        }

        Assert.NotEmpty(records);
        var aboutTheJob = records.Where(r => r.GetProperty("Message").GetString()!.Contains(run.JobId, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(aboutTheJob);
        Assert.All(aboutTheJob, r => Assert.True(CarriesJobId(r, run.JobId), $"no JobId field: {r}"));

        Assert.DoesNotContain(run.LogLines, l => l.Contains(AzuriteProcess.AccountKey, StringComparison.Ordinal));
        Assert.DoesNotContain(run.LogLines, l => l.Contains("AccountKey=", StringComparison.OrdinalIgnoreCase));
    }

    private static bool CarriesJobId(JsonElement record, string jobId) =>
        (record.TryGetProperty("State", out var state) && state.TryGetProperty("JobId", out var id) && id.GetString() == jobId)
        || (record.TryGetProperty("Scopes", out var scopes) && scopes.EnumerateArray().Any(
            s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("JobId", out var scoped) && scoped.GetString() == jobId));

    private Task<TelemetryRun> RunAsync()
    {
        lock (Gate)
        {
            return _run ??= Task.Run(() => TelemetryRun.RecordAsync(fixture));
        }
    }
}
