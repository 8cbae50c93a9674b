using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The Prometheus configuration is one Prometheus itself accepts, and scrapes the silos' /metrics often.</summary>
public sealed class PrometheusConfigTests
{
    [Fact]
    [Trait(TestTier.Category, TestTier.External)]
    public void PromtoolAcceptsTheConfiguration()
    {
        var (exitCode, output) = Tools.Promtool("check", "config", Repo.PathOf(PrometheusConfig.File));

        Assert.True(exitCode == 0, $"promtool check config {PrometheusConfig.File} failed:\n{output}");
    }

    [Fact]
    public void TheSiloJobScrapesMetricsEveryFewSeconds()
    {
        var job = PrometheusConfig.SiloJob;

        Assert.Equal("/metrics", job["metrics_path"].Text);
        Assert.Equal("5s", job["scrape_interval"].Text);
        Assert.All(job["static_configs"].Items.SelectMany(c => c["targets"].Items), t => Assert.EndsWith($":{SiloDefaults.HttpPort}", t.Text, StringComparison.Ordinal));
    }
}
