using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>The job API's settings: each bad one is named with its reason, and an API open to anyone is refused beyond loopback.</summary>
public sealed class ApiSettingsTests
{
    private const string Hash = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private const string OtherHash = "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

    [Theory]
    [InlineData("Api:Enabled", "yes", "Api:Enabled 'yes': use true or false.")]
    [InlineData("Api:Keys:notebook:Hash", "md5:0cc175b9c0f1b6a831c399e269772661", "Api:Keys:notebook:Hash is not sha256: and 64 hex digits")]
    [InlineData("Api:Keys:notebook:Hash", "sha256:9f86d081", "Api:Keys:notebook:Hash is not sha256: and 64 hex digits")]
    [InlineData("Api:Keys:notebook:Rights", "read,write", "Api:Keys:notebook:Rights 'read,write': name what the key may do, any of submit,read,cancel, separated by commas.")]
    [InlineData("Api:Keys:notebook:Rights", "", "Api:Keys:notebook:Rights is missing: name what the key may do, any of submit,read,cancel.")]
    [InlineData("Api:Jwt:Authority", "https://login.example.org/realms/lab", "Api:Jwt:Audience is missing")]
    [InlineData("Api:Jwt:Audience", "api://unetpp", "Api:Jwt:Authority is missing")]
    [InlineData("Api:Jwt:Authorty", "https://login.example.org", "Api:Jwt:Authorty is not a setting: Api:Jwt has Authority, Audience.")]
    [InlineData("Api:RateLimit:Requests", "0", "Api:RateLimit:Requests '0': give a whole number from 1 to 1000000.")]
    [InlineData("Api:RateLimit:Burst", "lots", "Api:RateLimit:Burst 'lots': give a whole number from 1 to 1000000.")]
    [InlineData("Api:RateLimit:Period", "soon", "Api:RateLimit:Period 'soon': give a time from 00:00:01 to 1.00:00:00 (hh:mm:ss, or d.hh:mm:ss).")]
    [InlineData("Api:RateLimit:Burst", "10", "Api:RateLimit:Burst 10 is less than Api:RateLimit:Requests 20: a burst holds at least one period's requests.")]
    public void ABadSettingIsNamedWithItsReason(string key, string value, string expected)
    {
        var problems = Problems(new() { ["Api:Keys:notebook:Hash"] = Hash, ["Api:Keys:notebook:Rights"] = "read", [key] = value });

        Assert.Contains(expected, Assert.Single(problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://idp.lab/realms/lab", "Api:Jwt:Authority 'http://idp.lab/realms/lab': use https; plain http only for an issuer on this machine")]
    [InlineData("login.example.org", "Api:Jwt:Authority 'login.example.org' is not an absolute https URL of an OpenID issuer.")]
    public void AnIssuerIsReachedOverHttpsUnlessItIsOnThisMachine(string authority, string expected)
    {
        Assert.Empty(Problems(new() { ["Api:Jwt:Authority"] = "http://127.0.0.1:5001", ["Api:Jwt:Audience"] = "unetpp" }));

        var problem = Assert.Single(Problems(new() { ["Api:Jwt:Authority"] = authority, ["Api:Jwt:Audience"] = "unetpp" }));

        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyWithoutItsHashOrRightsIsNamedForEach()
    {
        var problems = Problems(new() { ["Api:Keys:dashboard:Rights"] = "read", ["Api:Keys:notebook:Hash"] = Hash });

        Assert.Equal(2, problems.Count);
        Assert.StartsWith("Api:Keys:dashboard:Hash is missing", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("Api:Keys:notebook:Rights is missing", problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyPutWhereItsHashGoesIsRefusedWithoutShowingIt()
    {
        var key = ApiKey.New();

        var problems = Problems(new() { ["Api:Keys:notebook:Hash"] = key, ["Api:Keys:notebook:Rights"] = "read", ["Api:Keys:notebook:Key"] = key });

        Assert.Equal(2, problems.Count);
        Assert.Equal("Api:Keys:notebook:Key is not a setting: Api:Keys:notebook has Hash, Rights.", problems[0]);
        Assert.Equal("Api:Keys:notebook:Hash is not sha256: and 64 hex digits; give the hash `unetpp api-key new` prints, never the key itself.", problems[1]);
        Assert.All(problems, p => Assert.DoesNotContain(key, p, StringComparison.Ordinal));
    }

    [Fact]
    public void TwoNamesForOneKeyAreRefused()
    {
        var problems = Problems(new()
        {
            ["Api:Keys:a:Hash"] = Hash,
            ["Api:Keys:a:Rights"] = "read",
            ["Api:Keys:b:Hash"] = Hash.ToUpperInvariant().Replace("SHA256:", "sha256:", StringComparison.Ordinal),
            ["Api:Keys:b:Rights"] = "submit",
            ["Api:Keys:c:Hash"] = OtherHash,
            ["Api:Keys:c:Rights"] = "read",
        });

        Assert.Equal("Api:Keys:a:Hash and Api:Keys:b:Hash are the same key: give each caller a key of its own.", Assert.Single(problems));
    }

    [Theory]
    [InlineData("note book")]
    [InlineData("a__b")]
    [InlineData("schlüssel")]
    public void AKeyNameThatNoEnvironmentVariableCanCarryIsRefused(string name)
    {
        var problem = Assert.Single(Problems(new() { [$"Api:Keys:{name}:Hash"] = Hash, [$"Api:Keys:{name}:Rights"] = "read" }));

        Assert.Equal($"Api:Keys:{name}: '{name}' cannot name an API key: use up to 64 letters, digits, '-' and '_' (no '__').", problem);
    }

    [Fact]
    public void AKeyReadsAsItsNameHashAndRights()
    {
        var key = ApiKey.New();
        var configuration = Configuration(new() { ["Api:Keys:notebook:Hash"] = ApiKey.Hash(key), ["Api:Keys:notebook:Rights"] = "cancel, READ" });

        var settings = ApiSettings.From(configuration);

        var notebook = Assert.Single(settings.Keys.Values);
        Assert.Equal("notebook", notebook.Name);
        Assert.Equal([ApiRight.Read, ApiRight.Cancel], notebook.Rights.Order());
        Assert.True(notebook.Matches(ApiKey.HashBytes(key)));
        Assert.False(notebook.Matches(ApiKey.HashBytes(ApiKey.New())));
        Assert.False(settings.Open);
        Assert.True(settings.Enabled);
        Assert.Equal((20, TimeSpan.FromSeconds(1), 40), (settings.RateLimit.Requests, settings.RateLimit.Period, settings.RateLimit.Burst));
    }

    [Fact]
    public void AKeyIsThirtyTwoRandomBytesInBase64Url()
    {
        var key = ApiKey.New();

        Assert.Equal(43, key.Length);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", key);
        Assert.NotEqual(key, ApiKey.New());
        Assert.Equal("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ApiKey.Hash("test"));
    }

    [Theory]
    [InlineData("urls", "http://0.0.0.0:8080", "http://0.0.0.0:8080, from ASPNETCORE_URLS or --urls")]
    [InlineData("urls", "http://127.0.0.1:8080;http://[::]:8080", "http://[::]:8080, from ASPNETCORE_URLS or --urls")]
    [InlineData("urls", "http://+:8080", "http://+:8080, from ASPNETCORE_URLS or --urls")]
    [InlineData("urls", "http://*:8080", "http://*:8080, from ASPNETCORE_URLS or --urls")]
    [InlineData("urls", "http://10.1.2.3:8080", "http://10.1.2.3:8080, from ASPNETCORE_URLS or --urls")]
    [InlineData("urls", "http://silo1:8080", "http://silo1:8080, from ASPNETCORE_URLS or --urls")]
    [InlineData("http_ports", "8080", "http://*:8080, from ASPNETCORE_HTTP_PORTS")]
    [InlineData("https_ports", "8443", "https://*:8443, from ASPNETCORE_HTTPS_PORTS")]
    [InlineData("Kestrel:Endpoints:Main:Url", "http://0.0.0.0:8080", "http://0.0.0.0:8080, from Kestrel:Endpoints:Main:Url")]
    public void AnOpenApiBeyondLoopbackIsRefusedNamingTheSettingsThatOpenIt(string key, string value, string address)
    {
        var problem = Assert.Single(Problems(new() { [key] = value }));

        Assert.Equal(
            $"The silo serves HTTP beyond loopback ({address}) and its job API would be open to anyone: set API keys (Api:Keys:NAME:Hash and Api:Keys:NAME:Rights, "
            + "made by `unetpp api-key new`), or a token issuer (Api:Jwt:Authority and Api:Jwt:Audience), or turn the API off with Api:Enabled=false.",
            problem);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://[::1]:8080;http://127.0.0.2:8081")]
    [InlineData("http://unix:/run/unetpp/silo.sock")]
    public void AnOpenApiOnLoopbackIsAllowed(string? urls)
    {
        Assert.Empty(Problems(new() { ["urls"] = urls }));
    }

    [Theory]
    [InlineData("Api:Enabled", "false")]
    [InlineData("Api:Keys:notebook:Rights", "read")]
    [InlineData("Api:Jwt:Audience", "unetpp")]
    public void BeyondLoopbackTheApiIsOffOrHasAccessControl(string key, string value)
    {
        var settings = new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:8080", [key] = value };
        if (key.StartsWith("Api:Keys", StringComparison.Ordinal))
        {
            settings["Api:Keys:notebook:Hash"] = Hash;
        }
        else if (key.StartsWith("Api:Jwt", StringComparison.Ordinal))
        {
            settings["Api:Jwt:Authority"] = "https://login.example.org/realms/lab";
        }

        Assert.Empty(Problems(settings));
    }

    [Fact]
    public void TheSiloRefusesAnOpenApiBeyondLoopbackBeforeItIsBuilt()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => SiloApplication.CreateBuilder([], new Dictionary<string, string?>
        {
            ["urls"] = "http://0.0.0.0:8080",
            ["Cluster:Clustering"] = "Localhost",
            ["Inference:Devices"] = "cpu",
        }));

        Assert.StartsWith("The silo serves HTTP beyond loopback (http://0.0.0.0:8080", Assert.Single(refused.Failures), StringComparison.Ordinal);
    }

    private static List<string> Problems(Dictionary<string, string?> settings)
    {
        var configuration = Configuration(settings);
        return [.. ApiSettings.From(configuration).Problems(HttpAddresses.From(configuration))];
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
