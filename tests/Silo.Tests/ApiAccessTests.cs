using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>
/// How the silo guards endpoints that require a right, in-process on loopback: keys and tokens let
/// their holders in with their rights, everyone else gets a problem+json 401 or 403, and a caller past
/// its rate limit a 429 with Retry-After. The job API's own routes are checked the same way against a
/// silo process (<see cref="ApiAccessProcessTests"/>).
/// </summary>
public sealed class ApiAccessTests(ApiAccessTests.GuardedSilo silo) : IClassFixture<ApiAccessTests.GuardedSilo>
{
    private const string Probe = "/access-probe";

    [Fact]
    public async Task NoCredentialIsAProblem401ThatAsksForABearerCredential()
    {
        using var response = await silo.Silo.SendAsync(HttpMethod.Get, Probe, null);

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer realm=\"unetpp\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("Send an API key or token as Authorization: Bearer <key or token>.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AnUnknownKeyIsAProblem401ThatSaysTheCredentialIsInvalid()
    {
        using var response = await silo.Silo.SendAsync(HttpMethod.Get, Probe, Bearer(ApiKey.New()));

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer realm=\"unetpp\", error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("The API key or token was not accepted.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AKeyGivesItsRightsAndNoOthers()
    {
        using var read = await silo.Silo.SendAsync(HttpMethod.Get, Probe, Bearer(silo.Access.ReaderKey));
        using var submit = await silo.Silo.SendAsync(HttpMethod.Post, Probe, Bearer(silo.Access.ReaderKey));
        using var cancel = await silo.Silo.SendAsync(HttpMethod.Delete, $"{Probe}/job-1", Bearer(silo.Access.ReaderKey));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("reader", await read.Content.ReadAsStringAsync());
        Assert.Equal("This API key or token does not hold the right 'submit'.", (await ProblemAsync(submit, HttpStatusCode.Forbidden)).GetProperty("detail").GetString());
        Assert.Equal("This API key or token does not hold the right 'cancel'.", (await ProblemAsync(cancel, HttpStatusCode.Forbidden)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ACallerPastItsBurstIsAProblem429WithRetryAfterAndOthersGoOn()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= GuardedAccess.Burst; i++)
        {
            using var response = await silo.Silo.SendAsync(HttpMethod.Get, Probe, Bearer(silo.Access.FloodKey));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var problem = await ProblemAsync(response, HttpStatusCode.TooManyRequests);
                var retryAfter = response.Headers.RetryAfter?.Delta;
                Assert.NotNull(retryAfter);
                Assert.InRange(retryAfter.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
                Assert.StartsWith("More than 3 requests at once, or 1 every 01:00:00, from this caller: try again in ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }

        using var other = await silo.Silo.SendAsync(HttpMethod.Post, Probe, Bearer(silo.Access.SubmitterKey));

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, GuardedAccess.Burst), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task ATokenFromTheIssuerGivesTheRightsOfItsScopes()
    {
        var reader = silo.Issuer.Token(GuardedAccess.Audience, "openid unetpp.read");
        var submitter = silo.Issuer.Token(GuardedAccess.Audience, "unetpp.submit");

        using var read = await silo.Silo.SendAsync(HttpMethod.Get, Probe, Bearer(reader));
        using var refused = await silo.Silo.SendAsync(HttpMethod.Post, Probe, Bearer(reader));
        using var submit = await silo.Silo.SendAsync(HttpMethod.Post, Probe, Bearer(submitter));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("lab-dashboard", await read.Content.ReadAsStringAsync());
        Assert.Equal("This API key or token does not hold the right 'submit'.", (await ProblemAsync(refused, HttpStatusCode.Forbidden)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
    }

    [Fact]
    public async Task AnExpiredTokenAWronglySignedOneAndOneForAnotherAudienceAreProblem401s()
    {
        using var otherKey = RSA.Create(2048);
        var tokens = new[]
        {
            silo.Issuer.Token(GuardedAccess.Audience, "unetpp.read", expired: true),
            silo.Issuer.Token(GuardedAccess.Audience, "unetpp.read", signer: otherKey),
            silo.Issuer.Token("another-api", "unetpp.read"),
        };

        foreach (var token in tokens)
        {
            using var response = await silo.Silo.SendAsync(HttpMethod.Get, Probe, Bearer(token));
            await ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task MetricsAndHealthNeedNoCredential()
    {
        using var metrics = await silo.Silo.GetAsync("/metrics");
        using var health = await silo.Silo.GetAsync("/healthz");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (metrics.StatusCode, health.StatusCode));
    }

    [Fact]
    public async Task WithNoKeyAndNoIssuerEveryCallerOnLoopbackHasEveryRight()
    {
        await using var open = await RunningSilo.StartAsync([], map: GuardedSilo.MapProbe);

        using var read = await open.SendAsync(HttpMethod.Get, Probe, null);
        using var cancel = await open.SendAsync(HttpMethod.Delete, $"{Probe}/job-1", null);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (read.StatusCode, cancel.StatusCode));
    }

    private static AuthenticationHeaderValue Bearer(string credential) => new("Bearer", credential);

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, body.RootElement.GetProperty("status").GetInt32());
        return body.RootElement.Clone();
    }

    /// <summary>A silo with <see cref="GuardedAccess"/> and a probe endpoint per right that answers with the caller's name.</summary>
    public sealed class GuardedSilo : IAsyncLifetime
    {
        internal GuardedAccess Access { get; } = new();

        internal OpenIdIssuer Issuer { get; private set; } = null!;

        internal RunningSilo Silo { get; private set; } = null!;

        public static void MapProbe(WebApplication app)
        {
            static string Caller(HttpContext context) => context.User.Identity?.Name ?? "anyone";
            app.MapGet(Probe, Caller).RequireApiRight(ApiRight.Read);
            app.MapPost(Probe, Caller).RequireApiRight(ApiRight.Submit);
            app.MapDelete($"{Probe}/{{id}}", Caller).RequireApiRight(ApiRight.Cancel);
        }

        public async Task InitializeAsync()
        {
            Issuer = await OpenIdIssuer.StartAsync();
            Silo = await RunningSilo.StartAsync(Access.Settings(Issuer.Authority), map: MapProbe);
        }

        public async Task DisposeAsync()
        {
            await Silo.DisposeAsync();
            await Issuer.DisposeAsync();
        }
    }
}
