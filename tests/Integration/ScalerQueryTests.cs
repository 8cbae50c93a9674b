using System.Globalization;
using System.Net;
using System.Text;
using UNetPP.Cluster.Processes;
using YamlDotNet.RepresentationModel;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// The query of deploy/kubernetes/autoscale/scaledobject.yaml, run by a real Prometheus on the deployment's
/// scrape configuration over two silos' metrics. A job's coordinator is on one silo, but for a moment two
/// report the job (one scraped before the coordinator left, the other after it came; or Orleans running
/// it on both while silos join or leave): the figure KEDA sizes the cluster by must count it once.
/// The two silos are endpoints that serve set metrics text, since no test can make Orleans run a grain
/// twice on demand.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class ScalerQueryTests
{
    [Fact]
    public async Task AJobTwoSilosReportCountsOnceAndNoJobIsZero()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var left = new MetricsEndpoint(Waiting(("job-a", 30), ("job-b", 10)));
        using var right = new MetricsEndpoint(Waiting(("job-a", 28)));
        var folder = Directory.CreateTempSubdirectory("unetpp-scaler-query-").FullName;
        try
        {
            var config = Path.Combine(folder, "prometheus.yml");
            File.WriteAllText(config, PrometheusServer.SiloScrapeConfig([left.Instance, right.Instance]));
            await using var prometheus = await PrometheusServer.StartAsync(config, Path.Combine(folder, "data"), deadline.Token);

            await WaitForAsync(prometheus, "count(unetpp_images_waiting)", 3, deadline.Token);
            Assert.Equal(2, await ValueAsync(prometheus, "count(unetpp_images_waiting{job_id=\"job-a\"})"));
            Assert.Equal(30 + 10, await ValueAsync(prometheus, ScalerQuery));

            // The jobs end, and their coordinators stop reporting them: nothing waits, and the figure is 0, not "no data".
            left.Text = right.Text = "# TYPE unetpp_leases_held gauge\nunetpp_leases_held{device=\"cpu\"} 0\n";
            await WaitForAsync(prometheus, "count(unetpp_leases_held)", 2, deadline.Token);
            Assert.Equal(0, await ValueAsync(prometheus, ScalerQuery));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The ScaledObject's query, as KEDA sends it to Prometheus.</summary>
    private static string ScalerQuery
    {
        get
        {
            var yaml = new YamlStream();
            using (var reader = new StreamReader(Path.Combine(RepoPaths.Root, "deploy", "kubernetes", "autoscale", "scaledobject.yaml")))
            {
                yaml.Load(reader);
            }

            var spec = (YamlMappingNode)((YamlMappingNode)yaml.Documents.Single(d => ((YamlScalarNode)((YamlMappingNode)d.RootNode)["kind"]).Value == "ScaledObject").RootNode)["spec"];
            var trigger = (YamlMappingNode)((YamlSequenceNode)spec["triggers"]).Children.Single();
            return ((YamlScalarNode)((YamlMappingNode)trigger["metadata"])["query"]).Value!;
        }
    }

    private static string Waiting(params (string Job, int Images)[] jobs) =>
        "# TYPE unetpp_images_waiting gauge\n"
        + string.Concat(jobs.Select(j => string.Create(CultureInfo.InvariantCulture, $"unetpp_images_waiting{{job_id=\"{j.Job}\"}} {j.Images}\n")));

    /// <summary>The single value of an instant query.</summary>
    private static async Task<double> ValueAsync(PrometheusServer prometheus, string promql)
    {
        var (success, error, vector) = await prometheus.QueryAsync(promql);
        Assert.True(success, $"{promql}: {error}");
        return Assert.Single(vector).Value;
    }

    /// <summary>Waits until Prometheus's latest scrapes give <paramref name="promql"/> the value <paramref name="expected"/>.</summary>
    private static Task WaitForAsync(PrometheusServer prometheus, string promql, double expected, CancellationToken cancellationToken) =>
        Condition.WaitForAsync(
            async () => (await prometheus.QueryAsync(promql)).Vector is [(_, var value)] && value == expected, $"{promql} to be {expected}", cancellationToken);

    /// <summary>A silo's <c>/metrics</c> on a loopback port, serving whatever <see cref="Text"/> says now.</summary>
    private sealed class MetricsEndpoint : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _serving;

        public MetricsEndpoint(string text)
        {
            _text = text;
            var port = FreePorts.Take(1)[0];
            Instance = $"127.0.0.1:{port}";
            _listener.Prefixes.Add($"http://{Instance}/");
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        /// <summary>The target Prometheus scrapes: host and port.</summary>
        public string Instance { get; }

        private volatile string _text;

        /// <summary>The metrics text served from now on.</summary>
        public string Text
        {
            get => _text;
            set => _text = value;
        }

        public void Dispose()
        {
            _listener.Close();
            _serving.Wait(TimeSpan.FromSeconds(10));
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var body = Encoding.UTF8.GetBytes(Text);
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }
    }
}
