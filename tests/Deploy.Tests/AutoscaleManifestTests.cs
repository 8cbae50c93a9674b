using System.Globalization;
using k8s.Models;
using UNetPP.Cluster.TestSupport;
using YamlDotNet.Core;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// The KEDA ScaledObject of deploy/kubernetes/autoscale: it scales the silos' Deployment on the metric
/// the silos export, in a way that counts each job once, and its numbers agree with the shutdown
/// settings and the disruption budget.
/// </summary>
public sealed class AutoscaleManifestTests
{
    private static ScaledObject Scaler => KubernetesManifests.Single<ScaledObject>("unetpp-silo");

    private static ScaleTrigger Trigger => Assert.Single(Scaler.Spec.Triggers);

    private static V1Deployment Silos => KubernetesManifests.Single<V1Deployment>("unetpp-silo");

    [Fact]
    public void StrictLoadingRefusesAFieldKedaDoesNotHave()
    {
        const string misspelt = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: x\nspec:\n  scaleTargetRef:\n    name: y\n  minReplicas: 0\n";

        Assert.ThrowsAny<YamlException>(() => KubernetesManifests.Load(misspelt));
    }

    [Fact]
    public void ItScalesTheSilosDeployment()
    {
        var target = Scaler.Spec.ScaleTargetRef;

        Assert.Equal((Silos.ApiVersion, Silos.Kind, Silos.Metadata.Name), (target.ApiVersion, target.Kind, target.Name));
        Assert.Equal(Silos.Metadata.NamespaceProperty, Scaler.Metadata.NamespaceProperty);
    }

    [Fact]
    public void ItsQuerySumsTheWaitingImagesOfTheScrapedSilos()
    {
        var query = Trigger.Metadata["query"];

        Assert.Equal("prometheus", Trigger.Type);
        Assert.Equal(["unetpp_images_waiting"], PromQl.MetricNames(query));
        Assert.Contains(SiloMetrics.Families["unetpp_images_waiting"][0], SiloMetrics.Names);

        // A job is reported by one silo, for a moment by two: the cluster's figure is the sum over jobs of each one's max.
        Assert.StartsWith("sum(max by (job_id) (unetpp_images_waiting{", query, StringComparison.Ordinal);
        Assert.Contains($"job=\"{PrometheusConfig.SiloJobName}\"", query, StringComparison.Ordinal);
        Assert.True(Uri.TryCreate(Trigger.Metadata["serverAddress"], UriKind.Absolute, out _), $"serverAddress {Trigger.Metadata["serverAddress"]} is not a URL.");
    }

    [Fact]
    public void ReplicasFollowTheBacklogAndAnyWaitingImageWakesTheCluster()
    {
        var threshold = double.Parse(Trigger.Metadata["threshold"], CultureInfo.InvariantCulture);
        var activation = double.Parse(Trigger.Metadata["activationThreshold"], CultureInfo.InvariantCulture);

        // The metric is a backlog over the cluster: divided by the threshold, it is the replica count.
        Assert.Equal("AverageValue", Trigger.MetricType);
        Assert.True(threshold >= 1, $"threshold {threshold}");

        // Active above this: a job smaller than it would never wake a cluster scaled to zero.
        Assert.Equal(0, activation);
        Assert.Equal("true", Trigger.Metadata["ignoreNullValues"]);
    }

    [Fact]
    public void TheReplicaBoundsKeepAGatewayAndTheFallbackWithinThem()
    {
        var spec = Scaler.Spec;

        Assert.Equal(1, spec.MinReplicaCount);
        Assert.True(spec.MaxReplicaCount > spec.MinReplicaCount, $"maxReplicaCount {spec.MaxReplicaCount}");
        Assert.InRange(spec.Fallback!.Replicas, spec.MinReplicaCount!.Value, spec.MaxReplicaCount!.Value);
        Assert.True(spec.CooldownPeriod > 0 && spec.PollingInterval > 0);
    }

    [Fact]
    public void SilosLeaveOneAtATimeAndEachHasItsGraceToDrain()
    {
        var settings = KubernetesManifests.Single<V1ConfigMap>("unetpp-silo");
        var grace = TimeSpan.Parse(settings.Data["Inference__ShutdownGrace"], CultureInfo.InvariantCulture);
        var budget = KubernetesManifests.Single<V1PodDisruptionBudget>();
        var scaleDown = Scaler.Spec.Advanced!.HorizontalPodAutoscalerConfig!.Behavior!.ScaleDown;
        var policy = Assert.Single(scaleDown.Policies);

        Assert.Equal("Pods", policy.Type);
        Assert.Equal(budget.Spec.MaxUnavailable.Value, policy.Value.ToString(CultureInfo.InvariantCulture));
        Assert.True(TimeSpan.FromSeconds(policy.PeriodSeconds) >= grace, $"scale-down period {policy.PeriodSeconds} s is shorter than Inference__ShutdownGrace {grace.TotalSeconds} s: silos would drain at once.");
        Assert.True(scaleDown.StabilizationWindowSeconds > 0, "a silo would go the moment the waiting work dips");
    }

    [Fact]
    public void TheOverlayLeavesTheReplicaCountToKeda()
    {
        var overlay = YamlNode.Load("deploy/kubernetes/autoscale/kustomization.yaml");
        var patch = Assert.Single(overlay["patches"].Items);
        var operation = Assert.Single(YamlNode.Parse(patch["patch"].Text, $"{patch.Where}.patch").Items);

        Assert.Equal(["../base", "scaledobject.yaml"], overlay["resources"].Items.Select(r => r.Text));
        Assert.Equal(("Deployment", Silos.Metadata.Name), (patch["target"]["kind"].Text, patch["target"]["name"].Text));
        Assert.Equal(("remove", "/spec/replicas"), (operation["op"].Text, operation["path"].Text));
    }
}
