using k8s.Models;
using Microsoft.Extensions.Configuration;
using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// The deployment files serve HTTP on every address (for Prometheus and probes), where the silo refuses
/// to start with a job API open to anyone: they start with the API off, and turn it on only together
/// with its keys, from an env file (compose) or Secret (Kubernetes) of the operator's that may be absent.
/// </summary>
public sealed class ApiAccessDeployTests
{
    private static readonly Dockerfile Images = Dockerfile.Load("deploy/docker/Dockerfile");

    [Theory]
    [InlineData("silo")]
    [InlineData("silo-gpu")]
    public void ASiloImageStartsWithTheApiOffAndWouldRefuseItOpen(string stage)
    {
        var image = Images.Stage(stage).Environment;

        Assert.Equal("false", image["Api__Enabled"]);
        Assert.Empty(Problems(image));
        Assert.False(ApiAccess.Enabled(Silo(image)));
        Assert.Contains("Api:Enabled=false", Assert.Single(Problems(image, ("Api__Enabled", "true"))), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryComposeSiloStartsWithTheApiOffAndTakesItWithItsKeysFromAnOptionalEnvFile()
    {
        var keys = KeyLines();

        Assert.All(Compose.Silos, silo =>
        {
            var settings = Images.Stage(silo.BuildTarget!).Environment.Concat(silo.Environment).ToArray();
            var file = Assert.Single(silo.Node["env_file"].Items);
            Assert.Equal(("./api-keys.env", "false"), (file["path"].Text, file["required"].Text));
            Assert.DoesNotContain("Api__Enabled", silo.Environment.Keys);
            Assert.Empty(Problems(settings));
            Assert.False(ApiAccess.Enabled(Silo(settings)));
            Assert.Empty(Problems(settings, keys));
            Assert.True(ApiAccess.Enabled(Silo(settings, keys)));
        });
        Assert.Contains("/deploy/api-keys.env", Repo.Read(".gitignore").Split('\n'));
    }

    [Fact]
    public void KubernetesSilosStartWithTheApiOffUnlessTheApiSecretTurnsItOnWithItsKeys()
    {
        var silos = KubernetesManifests.Single<V1Deployment>("unetpp-silo");
        var container = Assert.Single(silos.Spec.Template.Spec.Containers);
        var configMap = KubernetesManifests.Single<V1ConfigMap>("unetpp-silo");
        var secret = KubernetesManifests.Single<V1Secret>("unetpp-api");
        var image = Images.Stage("silo-gpu").Environment;
        var settings = image.Concat(configMap.Data).ToArray();

        Assert.Equal(2, container.EnvFrom.Count);
        Assert.Equal(configMap.Metadata.Name, container.EnvFrom[0].ConfigMapRef.Name);
        Assert.Equal((secret.Metadata.Name, true), (container.EnvFrom[1].SecretRef.Name, container.EnvFrom[1].SecretRef.Optional));
        Assert.Equal("false", configMap.Data["Api__Enabled"]);
        Assert.Empty(Problems(settings));
        Assert.False(ApiAccess.Enabled(Silo(settings)));

        Assert.Null(secret.Data);
        Assert.Equal("true", secret.StringData["Api__Enabled"]);
        Assert.All(secret.StringData.Where(e => e.Key.StartsWith("Api__Keys__", StringComparison.Ordinal)), e => Assert.StartsWith("<", e.Value, StringComparison.Ordinal));
        Assert.Equal(secret.StringData.Keys.Order(StringComparer.Ordinal), KeyLines().Select(l => l.Key).Order(StringComparer.Ordinal));
        Assert.Empty(Problems(settings, KeyLines()));
        Assert.True(ApiAccess.Enabled(Silo(settings, KeyLines())));
    }

    /// <summary>What the operator's env file or Secret holds: the switch, and one key's lines as <c>unetpp api-key new</c> prints them.</summary>
    private static (string Key, string Value)[] KeyLines() =>
        [("Api__Enabled", "true"), ("Api__Keys__notebook__Hash", ApiKey.Hash(ApiKey.New())), ("Api__Keys__notebook__Rights", "submit,read,cancel")];

    private static IReadOnlyList<string> Problems(IEnumerable<KeyValuePair<string, string>> environment, params (string Key, string Value)[] more)
    {
        var silo = Silo(environment, more);
        return ApiSettings.From(silo).Problems(HttpAddresses.From(silo));
    }

    /// <summary>The silo's configuration from environment variables, later ones winning, read as the silo reads them.</summary>
    private static IConfiguration Silo(IEnumerable<KeyValuePair<string, string>> environment, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in environment.Select(e => (e.Key, e.Value)).Concat(more))
        {
            // ASPNETCORE_URLS is the host's "urls"; Section__Key is Section:Key.
            settings[key.StartsWith("ASPNETCORE_", StringComparison.Ordinal) ? key["ASPNETCORE_".Length..] : key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }
}
