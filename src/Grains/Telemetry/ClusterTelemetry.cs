using System.Diagnostics;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Grains.Telemetry;

/// <summary>
/// The cluster's spans: a job, its run, its shards and their images, one trace per job across every
/// silo. They share the engine's telemetry name, so a host that adds <see cref="Name"/> exports the
/// image's stage spans under the cluster's.
/// </summary>
public static class ClusterTelemetry
{
    public const string Name = EngineTelemetry.Name;

    /// <summary>Spans of a job: job → shard → image (the engine adds the stages under it).</summary>
    public static ActivitySource Traces { get; } = new(Name);
}
