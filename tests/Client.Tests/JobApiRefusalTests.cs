using System.Net;
using System.Text;
using System.Text.Json;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// The job API and <c>unetpp submit</c> are two doors to the same checks: a job either refuses is
/// refused by the other with the same line, the API's problem detail being what the command line prints
/// after "error: ", and nothing starts.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class JobApiRefusalTests(JobApiRefusalTests.ApiSilo silo) : IClassFixture<JobApiRefusalTests.ApiSilo>
{
    /// <summary>Stands for a folder of images, an output that is not there yet, and a path that is nothing.</summary>
    private const string Images = "{images}";
    private const string Output = "{output}";
    private const string Missing = "{missing}";

    /// <summary>Each mistake as <c>unetpp submit</c> arguments and as the job API's body.</summary>
    public static TheoryData<string[], string> Mistakes() => new()
    {
        { [Images, "--out", Output, "--tile", "17"], """{"input": "{images}", "output": "{output}", "tile": 17}""" },
        { [Images, "--out", Output, "--mode", "L7"], """{"input": "{images}", "output": "{output}", "mode": "L7"}""" },
        { [Images, "--out", Output, "--overlap", "2"], """{"input": "{images}", "output": "{output}", "overlap": 2}""" },
        { [Images, "--out", Output, "--batch", "0"], """{"input": "{images}", "output": "{output}", "batch": 0}""" },
        { [Images, "--out", Output, "--shard-size", "0"], """{"input": "{images}", "output": "{output}", "shardSize": 0}""" },
        { [Images, "--out", Output, "--region-size", "8"], """{"input": "{images}", "output": "{output}", "regionSize": 8}""" },
        { [Images, "--out", Output, "--normalize", "minmax"], """{"input": "{images}", "output": "{output}", "normalize": "minmax"}""" },
        { [Images, "--out", Output, "--normalize", "percentile:99,1"], """{"input": "{images}", "output": "{output}", "normalize": "percentile:99,1"}""" },
        { [Images, "--out", Output, "--channels", "0,,1"], """{"input": "{images}", "output": "{output}", "channels": "0,,1"}""" },
        { [Images, "--out", Output, "--pages", "3-1"], """{"input": "{images}", "output": "{output}", "pages": "3-1"}""" },
        { [Images, "--out", Output, "--mask-format", "jpeg"], """{"input": "{images}", "output": "{output}", "maskFormat": "jpeg"}""" },
        { [Images, "--out", Output, "--priority", "urgent"], """{"input": "{images}", "output": "{output}", "priority": "urgent"}""" },
        { [Images, "--out", Output, "--priority", "11"], """{"input": "{images}", "output": "{output}", "priority": 11}""" },
        { [Images, "--out", Output, "--min-object-size", "5"], """{"input": "{images}", "output": "{output}", "minObjectSize": 5}""" },
        { [Images, "--out", Output, "--resume", "--overwrite"], """{"input": "{images}", "output": "{output}", "resume": true, "overwrite": true}""" },
        { [Images, "--out", Output, "--id", " "], """{"input": "{images}", "output": "{output}", "id": " "}""" },
        { [Images, "--out", Output, "--labels", Missing], """{"input": "{images}", "output": "{output}", "labels": "{missing}"}""" },
        { [Images, "--out", Output, "--model", Missing], """{"input": "{images}", "output": "{output}", "model": "{missing}"}""" },
        { [Missing, "--out", Output], """{"input": "{missing}", "output": "{output}"}""" },
        { [Images, "--out", Images + "/.."], """{"input": "{images}", "output": "{images}/.."}""" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task TheApiRefusesAJobWithTheLineTheCommandLinePrints(string[] arguments, string body)
    {
        var images = Directory.CreateDirectory(silo.Temp.File($"images-{Guid.NewGuid():N}")).FullName;
        var output = silo.Temp.File($"out-{Guid.NewGuid():N}");
        var missing = silo.Temp.File("nothing-here");
        string Place(string text) => text.Replace(Images, images, StringComparison.Ordinal).Replace(Output, output, StringComparison.Ordinal).Replace(Missing, missing, StringComparison.Ordinal);

        var cli = await CliRunner.RunAsync(["submit", .. arguments.Select(Place), "--gateway", silo.Gateway, "--cluster-id", silo.ClusterId]);
        using var content = new StringContent(Place(body), Encoding.UTF8, "application/json");
        using var response = await silo.Http.PostAsync(new Uri("/v1/jobs", UriKind.Relative), content);

        Assert.Equal(ExitCodes.UsageError, cli.ExitCode);
        var line = cli.Error.Split('\n')[0];
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(line["error: ".Length..], problem.RootElement.GetProperty("detail").GetString());
        Assert.False(Directory.Exists(output));
    }

    /// <summary>A <c>unetpp-silo</c> process alone in its cluster, serving the job API on a free loopback port.</summary>
    public sealed class ApiSilo : IAsyncLifetime
    {
        private SiloProcess? _process;

        internal TempFolder Temp { get; } = new();

        public string ClusterId { get; } = $"unetpp-api-refusals-{Guid.NewGuid():N}";

        public HttpClient Http { get; private set; } = null!;

        public string Gateway => $"127.0.0.1:{_process!.GatewayPort}";

        public async Task InitializeAsync()
        {
            _process = await SiloProcess.StartAsync(
                "api-refusals",
                ClusterId,
                "",
                Temp.File("logs"),
                new Dictionary<string, string> { ["Cluster__Clustering"] = "Localhost", ["Inference__WarmupModel"] = "" },
                core: null,
                CancellationToken.None);
            Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_process.HttpPort}") };
        }

        public async Task DisposeAsync()
        {
            Http?.Dispose();
            if (_process is not null)
            {
                await _process.DisposeAsync();
            }

            Temp.Dispose();
        }
    }
}
