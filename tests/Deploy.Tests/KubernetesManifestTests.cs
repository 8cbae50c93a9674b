using System.Globalization;
using k8s.Models;
using YamlDotNet.Core;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The Kubernetes manifests are valid objects of their kinds and agree with each other and with the silo.</summary>
public sealed class KubernetesManifestTests
{
    private static V1Deployment Silos => KubernetesManifests.Single<V1Deployment>("unetpp-silo");

    private static V1Container SiloContainer => Assert.Single(Silos.Spec.Template.Spec.Containers);

    private static V1ConfigMap Settings => KubernetesManifests.Single<V1ConfigMap>("unetpp-silo");

    public static TheoryData<string> Files() => [.. KubernetesManifests.Files];

    [Theory]
    [MemberData(nameof(Files))]
    public void AManifestLoadsStrictlyIntoItsKubernetesTypes(string file)
    {
        var objects = KubernetesManifests.Load(Repo.Read(file));

        Assert.NotEmpty(objects);
        Assert.All(objects, o => Assert.True(o is ScaledObject || o.GetType().Name.StartsWith("V1", StringComparison.Ordinal), $"{file}: {o.GetType().Name} is no typed model of its kind."));
    }

    [Fact]
    public void StrictLoadingRefusesAFieldTheApiDoesNotHave()
    {
        const string misspelt = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 3\n";

        Assert.ThrowsAny<YamlException>(() => KubernetesManifests.Load(misspelt));
    }

    [Fact]
    public void TheManifestsHoldTheClustersObjects()
    {
        var kinds = KubernetesManifests.All.Select(a => a.Object.GetType().Name).Order(StringComparer.Ordinal);

        Assert.Equal(["ScaledObject", "V1ConfigMap", "V1Deployment", "V1Job", "V1Namespace", "V1PodDisruptionBudget", "V1Secret", "V1Secret", "V1Secret", "V1Service"], kinds);
    }

    [Fact]
    public void EveryObjectIsInTheNamespace()
    {
        var name = KubernetesManifests.Single<V1Namespace>().Metadata.Name;

        Assert.All(KubernetesManifests.All.Where(a => a.Object is not V1Namespace),
            a => Assert.True(((IMetadata<V1ObjectMeta>)a.Object).Metadata.NamespaceProperty == name, $"{a.File}: not in namespace {name}."));
    }

    [Fact]
    public void EveryContainerNamesAnImage()
    {
        var containers = Silos.Spec.Template.Spec.Containers.Concat(KubernetesManifests.Single<V1Job>().Spec.Template.Spec.Containers).ToList();

        Assert.Equal(2, containers.Count);
        Assert.All(containers, c => Assert.False(string.IsNullOrWhiteSpace(c.Image), $"container {c.Name} names no image."));
    }

    [Fact]
    public void TheSiloContainerPortsAreTheSilosSettings()
    {
        var ports = SiloContainer.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);

        Assert.Equal(SiloDefaults.HttpPort, ports["http"]);
        Assert.Equal(SiloDefaults.Cluster.SiloPort, ports["silo"]);
        Assert.Equal(SiloDefaults.Cluster.GatewayPort, ports["gateway"]);
        Assert.Equal(SiloDefaults.Cluster.SiloPort.ToString(CultureInfo.InvariantCulture), Settings.Data["Cluster__SiloPort"]);
        Assert.Equal(SiloDefaults.Cluster.GatewayPort.ToString(CultureInfo.InvariantCulture), Settings.Data["Cluster__GatewayPort"]);
        Assert.Equal($"http://0.0.0.0:{ports["http"]}", Settings.Data["ASPNETCORE_URLS"]);
    }

    [Fact]
    public void TheProbesAskTheHealthEndpointsOnTheHttpPort()
    {
        var http = SiloContainer.Ports.Single(p => p.Name == "http").ContainerPort;

        Assert.Equal("/readyz", SiloContainer.ReadinessProbe.HttpGet.Path);
        Assert.Equal(http, KubernetesManifests.Resolve(SiloContainer.ReadinessProbe.HttpGet.Port, SiloContainer));
        Assert.Equal("/healthz", SiloContainer.LivenessProbe.HttpGet.Path);
        Assert.Equal(http, KubernetesManifests.Resolve(SiloContainer.LivenessProbe.HttpGet.Port, SiloContainer));
    }

    [Fact]
    public void PrometheusIsToldWhereToScrapeEverySilo()
    {
        var annotations = Silos.Spec.Template.Metadata.Annotations;
        var http = SiloContainer.Ports.Single(p => p.Name == "http").ContainerPort;

        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal(http.ToString(CultureInfo.InvariantCulture), annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
    }

    [Fact]
    public void EachSiloHasOneGpuAndUsesIt()
    {
        Assert.Equal(1, SiloContainer.Resources.Limits["nvidia.com/gpu"].ToInt32());
        Assert.Equal("cuda:0", Settings.Data["Inference__Devices"]);
    }

    [Fact]
    public void AStoppedSiloHasTimeToHandItsShardsBack()
    {
        var grace = TimeSpan.Parse(Settings.Data["Inference__ShutdownGrace"], CultureInfo.InvariantCulture);
        var pause = TimeSpan.FromSeconds(SiloContainer.Lifecycle.PreStop.Sleep.Seconds);
        var termination = TimeSpan.FromSeconds(Silos.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30);

        // The pause comes out of the same termination grace, before SIGTERM.
        Assert.InRange(pause.TotalSeconds, 1, 15);
        Assert.True(termination > pause + grace, $"terminationGracePeriodSeconds {termination.TotalSeconds} must be longer than the preStop pause {pause.TotalSeconds} s and Inference__ShutdownGrace {grace.TotalSeconds} s together.");
    }

    [Fact]
    public void TheSilosJoinThroughAzureStorageAtTheirPodAddress()
    {
        var env = SiloContainer.Env.ToDictionary(e => e.Name);
        var secret = KubernetesManifests.Single<V1Secret>("unetpp-storage");

        Assert.Equal("AzureStorage", Settings.Data["Cluster__Clustering"]);
        Assert.Equal(Settings.Metadata.Name, SiloContainer.EnvFrom[0].ConfigMapRef.Name);
        Assert.Equal("status.podIP", env["Cluster__AdvertisedAddress"].ValueFrom.FieldRef.FieldPath);
        var connection = env["Cluster__StorageConnection"].ValueFrom.SecretKeyRef;
        Assert.Equal(secret.Metadata.Name, connection.Name);
        Assert.Contains(connection.Key, secret.StringData.Keys);
    }

    [Fact]
    public void TheSilosTakeTheCredentialKeyFromASecretOfItsOwnThatMayBeAbsent()
    {
        var key = SiloContainer.Env.Single(e => e.Name == "Cluster__CredentialKey").ValueFrom.SecretKeyRef;
        var secret = KubernetesManifests.Single<V1Secret>(key.Name);

        Assert.NotEqual("unetpp-storage", key.Name);
        Assert.Contains(key.Key, secret.StringData.Keys);
        Assert.True(key.Optional, "Without the key only jobs with a SAS are refused; the silos must still start.");
    }

    [Theory]
    [InlineData("unetpp-storage")]
    [InlineData("unetpp-credential-key")]
    public void TheSecretTemplatesHoldOnlyAPlaceholder(string name)
    {
        var secret = KubernetesManifests.Single<V1Secret>(name);

        Assert.Null(secret.Data);
        Assert.All(secret.StringData.Values, v =>
        {
            Assert.StartsWith("<", v, StringComparison.Ordinal);
            Assert.DoesNotContain("AccountKey=", v, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public void TheDeploymentSelectsItsOwnPods()
    {
        Assert.Subset(Labels(Silos.Spec.Template.Metadata.Labels), Labels(Silos.Spec.Selector.MatchLabels));
    }

    [Fact]
    public void TheDisruptionBudgetCoversTheSilos()
    {
        var budget = KubernetesManifests.Single<V1PodDisruptionBudget>();

        Assert.Equal(Labels(Silos.Spec.Selector.MatchLabels), Labels(budget.Spec.Selector.MatchLabels));
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
    }

    [Fact]
    public void TheGatewayServiceLeadsToTheSilosGatewayPort()
    {
        var service = KubernetesManifests.Single<V1Service>();
        var port = Assert.Single(service.Spec.Ports);

        Assert.Subset(Labels(Silos.Spec.Template.Metadata.Labels), Labels(service.Spec.Selector));
        Assert.Equal(SiloDefaults.Cluster.GatewayPort, port.Port);
        Assert.Equal(SiloDefaults.Cluster.GatewayPort, KubernetesManifests.Resolve(port.TargetPort, SiloContainer));
    }

    [Fact]
    public void TheJobSubmitsThroughTheGatewayService()
    {
        var service = KubernetesManifests.Single<V1Service>();
        var args = Assert.Single(KubernetesManifests.Single<V1Job>().Spec.Template.Spec.Containers).Args;

        Assert.Equal("submit", args[0]);
        Assert.Equal($"{service.Metadata.Name}:{service.Spec.Ports[0].Port}", args[args.IndexOf("--gateway") + 1]);
        Assert.Contains("--wait", args);
        Assert.Empty(ClientCommandLine.UnknownOptions(args));
    }

    private static HashSet<KeyValuePair<string, string>> Labels(IDictionary<string, string> labels) => [.. labels];
}
