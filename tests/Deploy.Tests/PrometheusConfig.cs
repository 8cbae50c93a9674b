namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>deploy/prometheus/prometheus.yml.</summary>
internal static class PrometheusConfig
{
    public const string File = "deploy/prometheus/prometheus.yml";

    /// <summary>The scrape job the dashboard selects by name.</summary>
    public const string SiloJobName = "unetpp-silo";

    public static YamlNode SiloJob =>
        Assert.Single(YamlNode.Load(File)["scrape_configs"].Items, j => j["job_name"].Text == SiloJobName);
}
