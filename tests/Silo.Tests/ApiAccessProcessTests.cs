using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>
/// <c>unetpp-silo</c> as an operator runs it: beyond loopback it will not serve a job API open to
/// anyone, and with keys and a token issuer the API's own routes answer 401, 403 and 429 as problems,
/// the same for a job that exists and one that does not, and no key reaches the log.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class ApiAccessProcessTests(ApiAccessProcessTests.GuardedSiloProcess silo) : IClassFixture<ApiAccessProcessTests.GuardedSiloProcess>
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ASiloServingBeyondLoopbackWithAnOpenApiExitsNamingTheSettingsBeforeItBindsAnything()
    {
        // Held on loopback all along: a silo that tried to bind the port on every address would fail on it, and say so, rather than refuse.
        using var held = new TcpListener(IPAddress.Loopback, 0);
        held.Start();
        var port = ((IPEndPoint)held.LocalEndpoint).Port;
        var ports = FreePorts.Take(2);

        await using var process = CommandLineProcess.Start([], new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://0.0.0.0:{port}",
            ["Cluster__Clustering"] = "Localhost",
            ["Cluster__SiloPort"] = $"{ports[0]}",
            ["Cluster__GatewayPort"] = $"{ports[1]}",
        }, RepoPaths.SiloDll);
        using var timeout = new CancellationTokenSource(ExitTimeout);
        var exitCode = await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, exitCode);
        Assert.Equal("", process.Output);
        Assert.Equal(
            $"error: The silo serves HTTP beyond loopback (http://0.0.0.0:{port}, from ASPNETCORE_URLS or --urls) and its job API would be open to anyone: "
            + "set API keys (Api:Keys:NAME:Hash and Api:Keys:NAME:Rights, made by `unetpp api-key new`), or a token issuer (Api:Jwt:Authority and Api:Jwt:Audience), "
            + "or turn the API off with Api:Enabled=false.",
            process.Error.TrimEnd('\n'));
    }

    [Fact]
    public async Task ASiloWithTheApiOffServesMetricsBeyondLoopbackAndNoJobRoutes()
    {
        var logs = Directory.CreateTempSubdirectory("unetpp-api-off-").FullName;
        try
        {
            await using var off = await SiloProcess.StartAsync("silo", $"unetpp-api-off-{Guid.NewGuid():N}", storageConnection: "", logs,
                new Dictionary<string, string> { ["Cluster__Clustering"] = "Localhost", ["Api__Enabled"] = "false" }, core: null, CancellationToken.None, httpHost: "0.0.0.0");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{off.HttpPort}") };

            using var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
            using var jobs = await http.GetAsync(new Uri("/v1/jobs", UriKind.Relative));
            using var openApi = await http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("# TYPE unetpp_jobs gauge", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (jobs.StatusCode, openApi.StatusCode));
            Assert.Contains(off.LogEvents(), e => e.Message.Contains($"Now listening on: http://0.0.0.0:{off.HttpPort}", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    [Fact]
    public async Task NoCredentialOrAnUnknownKeyIsAProblem401()
    {
        using var none = await silo.SendAsync(HttpMethod.Get, "/v1/jobs", null);
        using var unknown = await silo.SendAsync(HttpMethod.Get, "/v1/jobs", ApiKey.New());

        await ProblemAsync(none, HttpStatusCode.Unauthorized);
        await ProblemAsync(unknown, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer realm=\"unetpp\"", none.Headers.WwwAuthenticate.ToString());
        Assert.Equal("Bearer realm=\"unetpp\", error=\"invalid_token\"", unknown.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task AReadOnlyKeyListsJobsButNeitherSubmitsNorCancels()
    {
        var job = await silo.KnownJobAsync();

        using var list = await silo.SendAsync(HttpMethod.Get, "/v1/jobs", silo.Access.ReaderKey);
        using var submit = await silo.SendAsync(HttpMethod.Post, "/v1/jobs", silo.Access.ReaderKey, silo.JobBody());
        using var cancel = await silo.SendAsync(HttpMethod.Delete, $"/v1/jobs/{job}", silo.Access.ReaderKey);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains(job, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("'submit'", (await ProblemAsync(submit, HttpStatusCode.Forbidden)).Detail, StringComparison.Ordinal);
        Assert.Contains("'cancel'", (await ProblemAsync(cancel, HttpStatusCode.Forbidden)).Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/jobs/{0}", null)]
    [InlineData("GET", "/v1/jobs/{0}/report", null)]
    [InlineData("DELETE", "/v1/jobs/{0}", null)]
    [InlineData("DELETE", "/v1/jobs/{0}", "reader")]
    public async Task AJobThatExistsAndOneThatDoesNotAreRefusedAlike(string method, string path, string? key)
    {
        var known = await silo.KnownJobAsync();
        var credential = key is null ? null : silo.Access.ReaderKey;

        using var forKnown = await silo.SendAsync(new HttpMethod(method), string.Format(null, path, known), credential);
        using var forUnknown = await silo.SendAsync(new HttpMethod(method), string.Format(null, path, $"no-such-job-{Guid.NewGuid():N}"), credential);

        var status = key is null ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden;
        Assert.Equal(await ProblemAsync(forKnown, status), await ProblemAsync(forUnknown, status));
        Assert.Equal(forKnown.Headers.WwwAuthenticate.ToString(), forUnknown.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task ACallerPastItsBurstIsAProblem429WithRetryAfter()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i <= GuardedAccess.Burst; i++)
        {
            var response = await silo.SendAsync(HttpMethod.Get, "/v1/jobs", silo.Access.FloodKey);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
            }
        }

        using (refused)
        {
            Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, GuardedAccess.Burst), HttpStatusCode.TooManyRequests], statuses);
            Assert.StartsWith("More than 3 requests at once", (await ProblemAsync(refused!, HttpStatusCode.TooManyRequests)).Detail, StringComparison.Ordinal);
            Assert.InRange(refused!.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        }
    }

    [Fact]
    public async Task ATokenWithTheReadScopeListsJobsButCannotSubmit()
    {
        var token = silo.Issuer.Token(GuardedAccess.Audience, "unetpp.read");

        using var list = await silo.SendAsync(HttpMethod.Get, "/v1/jobs", token);
        using var submit = await silo.SendAsync(HttpMethod.Post, "/v1/jobs", token, silo.JobBody());

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains("'submit'", (await ProblemAsync(submit, HttpStatusCode.Forbidden)).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExpiredOrWronglySignedTokenIsAProblem401()
    {
        using var otherKey = RSA.Create(2048);

        using var expired = await silo.SendAsync(HttpMethod.Get, "/v1/jobs", silo.Issuer.Token(GuardedAccess.Audience, "unetpp.read", expired: true));
        using var forged = await silo.SendAsync(HttpMethod.Get, "/v1/jobs", silo.Issuer.Token(GuardedAccess.Audience, "unetpp.read", signer: otherKey));

        await ProblemAsync(expired, HttpStatusCode.Unauthorized);
        await ProblemAsync(forged, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task NoKeyReachesTheLogAtDebug()
    {
        var wrong = ApiKey.New();
        using (await silo.SendAsync(HttpMethod.Get, "/v1/jobs", silo.Access.ReaderKey))
        using (await silo.SendAsync(HttpMethod.Post, "/v1/jobs", silo.Access.ReaderKey, silo.JobBody()))
        using (await silo.SendAsync(HttpMethod.Get, "/v1/jobs", wrong))
        {
            // The log is written as the lines arrive; these requests' records are in it once they have been answered.
        }

        var log = await File.ReadAllTextAsync(silo.Process.LogPath);

        Assert.Contains(silo.Process.LogEvents(), e => e.Level == "Debug" && e.Category.StartsWith("Microsoft.AspNetCore.Authorization", StringComparison.Ordinal));
        Assert.Contains(silo.Process.LogEvents(), e => e.Category.StartsWith("UNetPP.Cluster.Silo.Api.ApiKeyAuthentication", StringComparison.Ordinal));
        foreach (var key in new[] { silo.Access.ReaderKey, silo.Access.SubmitterKey, silo.Access.FloodKey, wrong })
        {
            Assert.DoesNotContain(key, log, StringComparison.Ordinal);
        }
    }

    /// <summary>The problem's type, title and detail, once the response is checked to be a problem with that status.</summary>
    private static async Task<(string? Type, string? Title, string Detail)> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var problem = body.RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        // The framework gives 401 and 403 a type of their own, and 429 none.
        var type = problem.TryGetProperty("type", out var given) ? given.GetString() : null;
        return (type, problem.GetProperty("title").GetString(), problem.GetProperty("detail").GetString() ?? "");
    }

    /// <summary>A silo process on loopback with <see cref="GuardedAccess"/>, and everything but Orleans logged at Debug.</summary>
    public sealed class GuardedSiloProcess : IAsyncLifetime
    {
        private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

        private readonly string _folder = Directory.CreateTempSubdirectory("unetpp-api-access-").FullName;
        private string? _knownJob;

        internal GuardedAccess Access { get; } = new();

        internal OpenIdIssuer Issuer { get; private set; } = null!;

        internal SiloProcess Process { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var input = Directory.CreateDirectory(Path.Combine(_folder, "images")).FullName;
            File.Copy(Path.Combine(RepoPaths.Root, "samples/nuclei/images/nuclei-000.png"), Path.Combine(input, "nuclei-000.png"));
            Issuer = await OpenIdIssuer.StartAsync();
            Process = await SiloProcess.StartAsync("silo", $"unetpp-api-access-{Guid.NewGuid():N}", storageConnection: "", Path.Combine(_folder, "logs"),
                new Dictionary<string, string>(Access.Settings(Issuer.Authority).Select(s => KeyValuePair.Create(s.Key.Replace(":", "__", StringComparison.Ordinal), s.Value!)))
                {
                    ["Cluster__Clustering"] = "Localhost",
                    ["Logging__LogLevel__Default"] = "Debug",
                    ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
                },
                core: null, CancellationToken.None);
        }

        /// <summary>A job to submit: the one sample image into a folder of this fixture's.</summary>
        public JsonContent JobBody() =>
            JsonContent.Create(new { input = Path.Combine(_folder, "images"), output = Path.Combine(_folder, $"masks-{Guid.NewGuid():N}") });

        /// <summary>The id of a job that exists, submitted with the submit key the first time it is asked for (a class's tests run one at a time).</summary>
        public async Task<string> KnownJobAsync()
        {
            if (_knownJob is null)
            {
                using var response = await SendAsync(HttpMethod.Post, "/v1/jobs", Access.SubmitterKey, JobBody());
                Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /v1/jobs answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                _knownJob = Uri.UnescapeDataString(response.Headers.Location!.OriginalString.Split('/')[^1]);
            }

            return _knownJob;
        }

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? credential, HttpContent? content = null)
        {
            using var request = new HttpRequestMessage(method, new Uri($"http://127.0.0.1:{Process.HttpPort}{path}")) { Content = content };
            request.Headers.Authorization = credential is null ? null : new AuthenticationHeaderValue("Bearer", credential);
            return await Http.SendAsync(request);
        }

        public async Task DisposeAsync()
        {
            if (Process is not null)
            {
                await Process.DisposeAsync();
            }

            if (Issuer is not null)
            {
                await Issuer.DisposeAsync();
            }

            Directory.Delete(_folder, recursive: true);
        }
    }
}
