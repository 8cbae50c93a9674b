using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>A silo of its own one-silo cluster, its HTTP on a free loopback port; disposing stops it.</summary>
internal sealed class RunningSilo : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly HttpClient _http;

    private RunningSilo(WebApplication app, int port)
    {
        _app = app;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public static Dictionary<string, string?> Settings(int httpPort, Dictionary<string, string?> overrides)
    {
        // Taken together so they differ from each other; the HTTP port was taken apart, so skip it if it comes back.
        var ports = FreePorts.Take(3).Where(p => p != httpPort).Take(2).ToArray();
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["Cluster:Id"] = $"unetpp-endpoints-{Guid.NewGuid():N}",
            ["Cluster:Clustering"] = "Localhost",
            ["Cluster:SiloPort"] = $"{ports[0]}",
            ["Cluster:GatewayPort"] = $"{ports[1]}",
            ["Inference:Devices"] = "cpu",
            ["Inference:Threads"] = "1",
            ["Inference:WarmupModel"] = "",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <param name="compose">More for the silo's services before it is built, as a host of its own adds them.</param>
    /// <param name="map">More endpoints, mapped once the silo's own are.</param>
    public static async Task<RunningSilo> StartAsync(
        Dictionary<string, string?> overrides, Action<WebApplicationBuilder>? compose = null, Action<WebApplication>? map = null)
    {
        var port = FreePorts.Take(1)[0];
        var builder = SiloApplication.CreateBuilder([], Settings(port, overrides));
        compose?.Invoke(builder);
        var app = SiloApplication.Build(builder);
        map?.Invoke(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new RunningSilo(app, port);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(new Uri(path, UriKind.Relative));

    /// <summary>What SIGTERM does first: tells the application it is stopping, before any service stops.</summary>
    public void SignalStop() => _app.Lifetime.StopApplication();

    public Task<HttpResponseMessage> GetAsync(string path, AuthenticationHeaderValue authorization) => SendAsync(HttpMethod.Get, path, authorization);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Headers = { Authorization = authorization } };
        return await _http.SendAsync(request);
    }

    /// <summary>Polls <c>/readyz</c> until it answers <paramref name="wanted"/> (and <paramref name="until"/> holds), or the time is up; returns the last answer.</summary>
    public async Task<(HttpStatusCode Status, IReadOnlyDictionary<string, SiloEndpointsTests.Check> Checks)> WaitForReadyzAsync(
        HttpStatusCode wanted, Func<IReadOnlyDictionary<string, SiloEndpointsTests.Check>, bool>? until = null)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            using var response = await GetAsync("/readyz");
            var checks = Parse(await response.Content.ReadAsStringAsync());
            if ((response.StatusCode == wanted && (until is null || until(checks))) || DateTime.UtcNow > deadline)
            {
                return (response.StatusCode, checks);
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static Dictionary<string, SiloEndpointsTests.Check> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("checks").EnumerateObject().ToDictionary(
            c => c.Name,
            c => new SiloEndpointsTests.Check(c.Value.GetProperty("status").GetString()!, c.Value.GetProperty("description").GetString() ?? ""),
            StringComparer.Ordinal);
    }
}
