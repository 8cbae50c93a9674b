namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The metrics the silo exports in Prometheus form, by family, and Prometheus' own <c>up</c>.</summary>
internal static class SiloMetrics
{
    /// <summary>Each family with the series names Prometheus stores for it.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Families = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["unetpp_images_completed_total"] = ["unetpp_images_completed_total"],
        ["unetpp_images_failed_total"] = ["unetpp_images_failed_total"],
        ["unetpp_tiles_total"] = ["unetpp_tiles_total"],
        ["unetpp_inference_batches_total"] = ["unetpp_inference_batches_total"],
        ["unetpp_inference_batch_size"] = Histogram("unetpp_inference_batch_size"),
        ["unetpp_stage_duration_seconds"] = Histogram("unetpp_stage_duration_seconds"),
        ["unetpp_stage_images"] = ["unetpp_stage_images"],
        ["unetpp_device_queue_tiles"] = ["unetpp_device_queue_tiles"],
        ["unetpp_device_busy_seconds_total"] = ["unetpp_device_busy_seconds_total"],
        ["unetpp_device_utilization_ratio"] = ["unetpp_device_utilization_ratio"],
        ["unetpp_leases_held"] = ["unetpp_leases_held"],
        ["unetpp_images_waiting"] = ["unetpp_images_waiting"],
        ["unetpp_jobs"] = ["unetpp_jobs"],
        ["unetpp_job_images"] = ["unetpp_job_images"],
        ["unetpp_job_progress_ratio"] = ["unetpp_job_progress_ratio"],
    };

    /// <summary>Every series name a query may select.</summary>
    public static readonly IReadOnlySet<string> Names =
        Families.Values.SelectMany(n => n).Append("up").ToHashSet(StringComparer.Ordinal);

    private static string[] Histogram(string family) => [$"{family}_bucket", $"{family}_sum", $"{family}_count"];
}
