using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// KEDA's <c>ScaledObject</c> (keda.sh/v1alpha1), field for field as its CRD's schema has them, so the
/// strict loader refuses a field KEDA does not have, as it does for the built-in kinds. The scaling
/// behaviour is the HorizontalPodAutoscaler's own type: KEDA hands it to the HPA it creates.
/// </summary>
public sealed class ScaledObject : IKubernetesObject<V1ObjectMeta>
{
    public const string KubeApiVersion = "v1alpha1";
    public const string KubeGroup = "keda.sh";
    public const string KubeKind = "ScaledObject";

    /// <summary>The key the YAML loader finds a kind's type by: apiVersion, then kind.</summary>
    public const string TypeKey = $"{KubeGroup}/{KubeApiVersion}/{KubeKind}";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{KubeGroup}/{KubeApiVersion}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public ScaledObjectSpec Spec { get; set; } = new();
}

public sealed class ScaledObjectSpec
{
    [JsonPropertyName("scaleTargetRef")]
    public ScaleTarget ScaleTargetRef { get; set; } = new();

    [JsonPropertyName("pollingInterval")]
    public int? PollingInterval { get; set; }

    /// <summary>How long the triggers must be inactive before the target goes from its minimum to zero (only with <see cref="MinReplicaCount"/> 0).</summary>
    [JsonPropertyName("cooldownPeriod")]
    public int? CooldownPeriod { get; set; }

    [JsonPropertyName("initialCooldownPeriod")]
    public int? InitialCooldownPeriod { get; set; }

    [JsonPropertyName("idleReplicaCount")]
    public int? IdleReplicaCount { get; set; }

    [JsonPropertyName("minReplicaCount")]
    public int? MinReplicaCount { get; set; }

    [JsonPropertyName("maxReplicaCount")]
    public int? MaxReplicaCount { get; set; }

    [JsonPropertyName("fallback")]
    public ScalingFallback? Fallback { get; set; }

    [JsonPropertyName("advanced")]
    public AdvancedScaling? Advanced { get; set; }

    [JsonPropertyName("triggers")]
    public IList<ScaleTrigger> Triggers { get; set; } = [];
}

public sealed class ScaleTarget
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("envSourceContainerName")]
    public string? EnvSourceContainerName { get; set; }
}

/// <summary>The replicas to keep while the metric cannot be read.</summary>
public sealed class ScalingFallback
{
    [JsonPropertyName("failureThreshold")]
    public int FailureThreshold { get; set; }

    [JsonPropertyName("replicas")]
    public int Replicas { get; set; }

    [JsonPropertyName("behavior")]
    public string? Behavior { get; set; }
}

public sealed class AdvancedScaling
{
    [JsonPropertyName("restoreToOriginalReplicaCount")]
    public bool? RestoreToOriginalReplicaCount { get; set; }

    [JsonPropertyName("horizontalPodAutoscalerConfig")]
    public HorizontalPodAutoscalerConfig? HorizontalPodAutoscalerConfig { get; set; }

    [JsonPropertyName("scalingModifiers")]
    public ScalingModifiers? ScalingModifiers { get; set; }
}

public sealed class HorizontalPodAutoscalerConfig
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("behavior")]
    public V2HorizontalPodAutoscalerBehavior? Behavior { get; set; }
}

public sealed class ScalingModifiers
{
    [JsonPropertyName("formula")]
    public string? Formula { get; set; }

    [JsonPropertyName("target")]
    public string? Target { get; set; }

    [JsonPropertyName("activationTarget")]
    public string? ActivationTarget { get; set; }

    [JsonPropertyName("metricType")]
    public string? MetricType { get; set; }
}

public sealed class ScaleTrigger
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary><c>AverageValue</c> (the default: the metric over the threshold is the replica count), <c>Value</c> or <c>Utilization</c>.</summary>
    [JsonPropertyName("metricType")]
    public string? MetricType { get; set; }

    [JsonPropertyName("useCachedMetrics")]
    public bool? UseCachedMetrics { get; set; }

    /// <summary>The scaler's own settings, all strings (the Prometheus scaler's: serverAddress, query, threshold, activationThreshold…).</summary>
    [JsonPropertyName("metadata")]
    public IDictionary<string, string> Metadata { get; set; } = new Dictionary<string, string>();

    [JsonPropertyName("authenticationRef")]
    public TriggerAuthenticationRef? AuthenticationRef { get; set; }
}

public sealed class TriggerAuthenticationRef
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }
}
