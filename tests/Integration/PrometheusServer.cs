using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using UNetPP.Cluster.Processes;
using YamlDotNet.RepresentationModel;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// A real Prometheus (Debian's package, which <c>./test.sh</c> installs) on a loopback port, with a
/// configuration file and a data folder of the test's own; disposing kills it.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly System.Text.StringBuilder _output = new();

    private PrometheusServer(Process process, int port)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>A Debian tool: <c>/usr/bin/{name}</c>; missing is a failure that says how to get it, never a skip.</summary>
    public static string Tool(string name)
    {
        var path = $"/usr/bin/{name}";
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: run ./test.sh (it installs Debian's prometheus package) or `apt-get install prometheus`.");
    }

    public static async Task<PrometheusServer> StartAsync(string configFile, string dataFolder, CancellationToken cancellationToken)
    {
        TestTier.StartingProcess("Prometheus");
        var port = FreePorts.Take(1)[0];
        var start = new ProcessStartInfo(Tool("prometheus"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            $"--config.file={configFile}", $"--storage.tsdb.path={dataFolder}", $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var server = new PrometheusServer(Process.Start(start)!, port);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += server.KillOnExit;
        try
        {
            await server.WaitUntilReadyAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The deployment's own <c>deploy/prometheus/prometheus.yml</c> with its silo job pointed at these
    /// silos and scraping every second, so the test runs Prometheus on the configuration operators get.
    /// </summary>
    public static string SiloScrapeConfig(IReadOnlyList<string> instances)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "prometheus.yml")))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        ((YamlMappingNode)root["global"]).Children[new YamlScalarNode("scrape_interval")] = new YamlScalarNode("1s");
        var job = ((YamlSequenceNode)root["scrape_configs"]).Children.Cast<YamlMappingNode>()
            .Single(c => ((YamlScalarNode)c["job_name"]).Value == "unetpp-silo");
        job.Children[new YamlScalarNode("scrape_interval")] = new YamlScalarNode("1s");
        job.Children[new YamlScalarNode("static_configs")] = new YamlSequenceNode(
            new YamlMappingNode(new YamlScalarNode("targets"), new YamlSequenceNode(instances.Select(i => new YamlScalarNode(i)))));
        using var writer = new StringWriter();
        yaml.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>An instant query through the HTTP API: status "success" and the result vector as labels and value, or the error.</summary>
    public async Task<(bool Success, string Error, IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> Vector)> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync(new Uri($"/api/v1/query?query={Uri.EscapeDataString(promql)}", UriKind.Relative));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            return (false, root.TryGetProperty("error", out var error) ? error.GetString() ?? "" : "", []);
        }

        var data = root.GetProperty("data");
        var vector = new List<(IReadOnlyDictionary<string, string>, double)>();
        if (data.GetProperty("resultType").GetString() is "vector")
        {
            foreach (var item in data.GetProperty("result").EnumerateArray())
            {
                var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
                vector.Add((labels, double.Parse(item.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)));
            }
        }

        return (true, "", vector);
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode} while starting:\n{Output}");
            }

            try
            {
                using var response = await _http.GetAsync(new Uri("/-/ready", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"prometheus was not ready within 60 s:\n{Output}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
