using System.Net.Http.Json;
using System.Text.Json;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Silo.Tests.Api;

/// <summary>
/// A real silo process, alone in its cluster (localhost clustering, job state in memory), its HTTP on a
/// free loopback port, with a client for its job API. Disposing kills it.
/// </summary>
public sealed class ApiSilo : IAsyncDisposable
{
    private ApiSilo(SiloProcess process)
    {
        Process = process;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.HttpPort}"), Timeout = TimeSpan.FromMinutes(2) };
    }

    public SiloProcess Process { get; }

    public HttpClient Http { get; }

    /// <param name="program">The silo to run; <c>unetpp-silo</c> when null.</param>
    /// <param name="settings">Settings beside the ones every API test silo has.</param>
    public static async Task<ApiSilo> StartAsync(string name, string logFolder, string? program = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>
        {
            ["Cluster__Clustering"] = "Localhost",
            ["Inference__Threads"] = "1",
            ["Inference__WarmupModel"] = "",
            ["Inference__PollInterval"] = "00:00:00.100",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        var process = await SiloProcess.StartAsync(name, $"unetpp-api-{Guid.NewGuid():N}", "", logFolder, all, core: null, CancellationToken.None, program);
        return new ApiSilo(process);
    }

    /// <summary>POSTs a job (any JSON, so tests can send what a careless client would).</summary>
    public Task<HttpResponseMessage> SubmitAsync(object body) => Http.PostAsJsonAsync(new Uri("/v1/jobs", UriKind.Relative), body);

    public async Task<JobView> StatusAsync(string jobId)
    {
        using var response = await Http.GetAsync(new Uri($"/v1/jobs/{jobId}", UriKind.Relative));
        return await ReadAsync<JobView>(response);
    }

    /// <summary>The body of a successful answer; a failure message with the silo's last lines otherwise.</summary>
    public async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {text}\n{Process.Tail(40)}");
        return JsonSerializer.Deserialize<T>(text, JsonSerializerOptions.Web)!;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Process.DisposeAsync();
    }
}
