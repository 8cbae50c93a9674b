using System.Diagnostics;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>The result of one Prometheus query the run made: whether it ran, its error, and its vector.</summary>
public sealed record QueryResult(string PromQl, bool Success, string Error, IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> Vector);

/// <summary>
/// Everything a watched job left behind, recorded once for <see cref="TelemetryTests"/>: two silo processes
/// exporting traces to an OTLP receiver and logging JSON, a real Prometheus scraping both with the
/// deployment's configuration, the job, each silo's <c>/metrics</c> afterwards with <c>promtool</c>'s
/// verdict, the Prometheus queries (the dashboard's among them), the spans and the log lines.
/// </summary>
public sealed record TelemetryRun(
    JobOutcome Outcome,
    string JobId,
    IReadOnlyList<string> SiloEndpoints,
    IReadOnlyList<string> SiloInstances,
    IReadOnlyList<string> Scrapes,
    IReadOnlyList<(int ExitCode, string Output)> Promtool,
    IReadOnlyDictionary<string, QueryResult> Queries,
    IReadOnlyList<string> DashboardQueries,
    IReadOnlyList<ReceivedSpan> Spans,
    IReadOnlyList<string> LogLines)
{
    public const string TileRate = "sum(rate(unetpp_tiles_total{job=\"unetpp-silo\"}[1m]))";
    public const string TilesBySilo = "sum by (instance) (unetpp_tiles_total{job=\"unetpp-silo\"})";
    public const string SilosUp = "count(up{job=\"unetpp-silo\"} == 1)";

    public static string DashboardFile => Path.Combine(RepoPaths.Root, "deploy", "grafana", "dashboards", "unetpp-cluster.json");

    public IReadOnlyList<Sample> Samples => [.. Scrapes.SelectMany(PrometheusText.Parse)];

    public static async Task<TelemetryRun> RecordAsync(IntegrationFixture fixture)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ports = FreePorts.Take(1);
        using var receiver = new OtlpTraceReceiver(ports[0]);
        var settings = new Dictionary<string, string>(fixture.Silos.Settings)
        {
            ["Telemetry__OtlpEndpoint"] = receiver.Endpoint + "/v1/traces",
            ["Telemetry__OtlpProtocol"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__Console__FormatterOptions__IncludeScopes"] = "true",
        };
        await using var cluster = await SiloCluster.StartAsync(fixture.Silos with { Settings = settings }, "telemetry", silos: 2, deadline.Token);
        var folder = Directory.CreateDirectory(Path.Combine(fixture.WorkFolder, "prometheus-" + cluster.Id)).FullName;
        var instances = cluster.Silos.Select(s => $"127.0.0.1:{s.HttpPort}").ToList();
        var config = Path.Combine(folder, "prometheus.yml");
        File.WriteAllText(config, PrometheusServer.SiloScrapeConfig(instances));
        await using var prometheus = await PrometheusServer.StartAsync(config, Path.Combine(folder, "data"), deadline.Token);
        try
        {
            await Condition.WaitForAsync(async () => (await prometheus.QueryAsync(SilosUp)).Vector is [(_, 2)], "Prometheus to see both silos up", deadline.Token);

            var outcome = await fixture.RunJobAsync(cluster, "out-telemetry", onStatus: null, deadline.Token);
            var jobId = outcome.Status.JobId;

            // A few more scrapes after the end, so Prometheus holds the final counts.
            await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            var scrapes = new List<string>();
            var promtool = new List<(int, string)>();
            foreach (var instance in instances)
            {
                var text = await http.GetStringAsync(new Uri($"http://{instance}/metrics"), deadline.Token);
                scrapes.Add(text);
                promtool.Add(await CheckMetricsAsync(text, deadline.Token));
            }

            await Condition.WaitForAsync(
                async () => (await prometheus.QueryAsync(TilesBySilo)).Vector.Sum(v => v.Value) >= outcome.Report!.Throughput.Tiles,
                "Prometheus to scrape the final tile counts", deadline.Token);
            var dashboard = PromQl.DashboardExpressions(File.ReadAllText(DashboardFile));
            var queries = new Dictionary<string, QueryResult>(StringComparer.Ordinal);
            foreach (var promql in new[] { TileRate, TilesBySilo, SilosUp }.Concat(dashboard.Select(q => PromQl.ResolveGrafanaVariables(q))).Distinct())
            {
                var (success, error, vector) = await prometheus.QueryAsync(promql);
                queries[promql] = new QueryResult(promql, success, error, vector);
            }

            // A graceful stop flushes the silos' last spans to the receiver.
            await cluster.StopAsync();
            await Condition.WaitForAsync(() => Task.FromResult(receiver.Spans.Any(s => s.Name == "job.run")), "the job's run span", deadline.Token);
            var logs = cluster.Silos.SelectMany(s => File.ReadAllLines(s.LogPath)).ToList();
            return new TelemetryRun(
                outcome, jobId, [.. cluster.Silos.Select(s => s.Endpoint)], instances, scrapes, promtool, queries,
                [.. dashboard.Select(q => PromQl.ResolveGrafanaVariables(q))], receiver.Spans, logs);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"The telemetry run failed: {ex.Message}\n{cluster.Logs()}\n--- prometheus ---\n{prometheus.Output}", ex);
        }
    }

    /// <summary><c>promtool check metrics</c> on one scrape: its exit code and what it said.</summary>
    private static async Task<(int, string)> CheckMetricsAsync(string metrics, CancellationToken cancellationToken)
    {
        TestTier.StartingProcess("promtool");
        var start = new ProcessStartInfo(PrometheusServer.Tool("promtool"))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardInput.WriteAsync(metrics.AsMemory(), cancellationToken);
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output + await error);
    }
}
