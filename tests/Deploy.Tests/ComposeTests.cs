using System.Data.Common;
using System.Globalization;
using System.Net;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The compose file's silos agree with the silo's settings, with Prometheus, Grafana and each other.</summary>
public sealed class ComposeTests
{
    [Fact]
    public void ThereAreThreeSilosForEachOfTheCpuAndGpuProfiles()
    {
        Assert.Equal(3, Compose.Silos.Count(s => s.Profiles.SequenceEqual(["cpu"]) && s.BuildTarget == "silo"));
        Assert.Equal(3, Compose.Silos.Count(s => s.Profiles.SequenceEqual(["gpu"]) && s.BuildTarget == "silo-gpu"));
    }

    [Fact]
    public void EverySiloListensOnTheSilosPorts()
    {
        Assert.All(Compose.Silos, silo =>
        {
            var env = silo.Environment;
            Assert.Equal(SiloDefaults.Cluster.SiloPort, int.Parse(env["Cluster__SiloPort"], CultureInfo.InvariantCulture));
            Assert.Equal(SiloDefaults.Cluster.GatewayPort, int.Parse(env["Cluster__GatewayPort"], CultureInfo.InvariantCulture));
            Assert.Equal($"http://0.0.0.0:{SiloDefaults.HttpPort}", env["ASPNETCORE_URLS"]);
            Assert.Equal([SiloDefaults.HttpPort], silo.PublishedContainerPorts);
        });
    }

    [Fact]
    public void EverySiloAdvertisesItsOwnFixedAddressInTheSubnet()
    {
        var pool = Assert.Single(Compose.Root["networks"][Compose.NetworkName]["ipam"]["config"].Items);
        var subnet = IPNetwork.Parse(pool["subnet"].Text);
        var dynamic = IPNetwork.Parse(pool["ip_range"].Text);
        var fixedAddresses = Compose.Services.Select(s => s.Network?.Find("ipv4_address")?.Text).OfType<string>().ToList();

        Assert.Equal(fixedAddresses.Count, fixedAddresses.Distinct().Count());
        Assert.All(Compose.Silos, silo =>
        {
            var address = silo.Network?["ipv4_address"].Text;
            Assert.Equal(address, silo.Environment["Cluster__AdvertisedAddress"]);
            var ip = IPAddress.Parse(address!);
            Assert.True(subnet.Contains(ip), $"{silo.Name}: {ip} is outside {subnet}.");
            Assert.False(dynamic.Contains(ip), $"{silo.Name}: {ip} is in {dynamic}, where Docker gives addresses to other containers.");
        });
    }

    [Fact]
    public void EverySiloKeepsItsClusterInAzurite()
    {
        var azurite = Compose.Service("azurite");
        var command = string.Join(' ', azurite.Command);

        Assert.Contains("--skipApiVersionCheck", command, StringComparison.Ordinal);
        Assert.Contains("--loose", command, StringComparison.Ordinal);
        Assert.Contains("--blobHost 0.0.0.0", command, StringComparison.Ordinal);
        Assert.Contains("--tableHost 0.0.0.0", command, StringComparison.Ordinal);
        Assert.All(Compose.Silos, silo =>
        {
            Assert.Equal("AzureStorage", silo.Environment["Cluster__Clustering"]);
            Assert.Equal(SiloDefaults.Cluster.Id, silo.Environment["Cluster__Id"]);
            var connection = new DbConnectionStringBuilder { ConnectionString = silo.Environment["Cluster__StorageConnection"] };
            foreach (var (endpoint, port) in new[] { ("BlobEndpoint", 10000), ("TableEndpoint", 10002) })
            {
                var uri = new Uri((string)connection[endpoint]);
                Assert.Equal((azurite.Name, port), (uri.Host, uri.Port));
                Assert.Contains(port, azurite.PublishedContainerPorts);
            }

            Assert.Contains("azurite", silo.Node["depends_on"].Items.Select(d => d.Text));
        });
    }

    [Fact]
    public void GpuSilosReserveAGpuAndUseItAndCpuSilosDoNot()
    {
        Assert.All(Compose.Silos, silo =>
        {
            var gpu = silo.Profiles.Contains("gpu");
            Assert.Equal(gpu ? "cuda:0" : "cpu", silo.Environment["Inference__Devices"]);
            var devices = silo.Node.Find("deploy")?["resources"]["reservations"]["devices"].Items ?? [];
            if (gpu)
            {
                var device = Assert.Single(devices);
                Assert.Equal("nvidia", device["driver"].Text);
                Assert.Equal("1", device["count"].Text);
                Assert.Contains("gpu", device["capabilities"].Items.Select(c => c.Text));
            }
            else
            {
                Assert.Empty(devices);
            }
        });
    }

    [Fact]
    public void GpuSilosAnswerToTheCpuSilosNames()
    {
        var cpu = Compose.Silos.Where(s => s.Profiles.Contains("cpu")).Select(s => s.Name).Order(StringComparer.Ordinal);
        var gpu = Compose.Silos.Where(s => s.Profiles.Contains("gpu")).Select(s => Assert.Single(s.HostNames.Skip(1))).Order(StringComparer.Ordinal);

        Assert.Equal(cpu, gpu);
    }

    [Fact]
    public void AStoppedSiloHasTimeToHandItsShardsBack()
    {
        Assert.All(Compose.Silos, silo =>
        {
            var grace = TimeSpan.Parse(silo.Environment["Inference__ShutdownGrace"], CultureInfo.InvariantCulture);
            var stop = silo.Node["stop_grace_period"].Text;
            Assert.EndsWith("s", stop, StringComparison.Ordinal);
            Assert.True(TimeSpan.FromSeconds(int.Parse(stop[..^1], CultureInfo.InvariantCulture)) > grace, $"{silo.Name}: stop_grace_period {stop} is not longer than Inference__ShutdownGrace {grace}.");
        });
    }

    [Fact]
    public void PrometheusScrapesTheSilosOfEitherProfile()
    {
        var job = PrometheusConfig.SiloJob;
        var targets = job["static_configs"].Items.SelectMany(c => c["targets"].Items).Select(t => t.Text).Order(StringComparer.Ordinal).ToList();

        foreach (var profile in new[] { "cpu", "gpu" })
        {
            var silos = Compose.Silos.Where(s => s.Profiles.Contains(profile));
            Assert.All(silos, s => Assert.Single(s.HostNames, h => targets.Contains($"{h}:{SiloDefaults.HttpPort}")));
            Assert.Equal(targets.Count, silos.Count());
        }

        var prometheus = Compose.Service("prometheus");
        Assert.Contains("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro", prometheus.Node["volumes"].Items.Select(v => v.Text));
        Assert.Contains("--config.file=/etc/prometheus/prometheus.yml", prometheus.Command);
    }

    [Fact]
    public void GrafanaReadsTheComposePrometheusAndTheDashboardFolder()
    {
        var grafana = Compose.Service("grafana");
        var source = Assert.Single(YamlNode.Load("deploy/grafana/provisioning/datasources/prometheus.yml")["datasources"].Items);
        var url = new Uri(source["url"].Text);
        var provider = Assert.Single(YamlNode.Load("deploy/grafana/provisioning/dashboards/unetpp.yml")["providers"].Items);
        var volumes = grafana.Node["volumes"].Items.Select(v => v.Text).ToList();

        Assert.Equal(("prometheus", 9090), (url.Host, url.Port));
        Assert.Contains(url.Port, Compose.Service("prometheus").PublishedContainerPorts);
        Assert.Contains("./grafana/provisioning:/etc/grafana/provisioning:ro", volumes);
        Assert.Contains($"./grafana/dashboards:{provider["options"]["path"].Text}:ro", volumes);
        Assert.Equal($"{provider["options"]["path"].Text}/unetpp-cluster.json", grafana.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]);
    }

    [Fact]
    public void TheSampleJobGoesToTheSilosGateways()
    {
        var submit = Compose.Service("submit");
        var command = submit.Command;
        var hosts = Compose.Silos.SelectMany(s => s.HostNames).ToHashSet();

        Assert.Equal("client", submit.BuildTarget);
        Assert.Equal(["submit"], submit.Profiles);
        Assert.Equal("submit", command[0]);
        Assert.StartsWith("az://", command[1], StringComparison.Ordinal);
        Assert.StartsWith("az://", command[command.ToList().IndexOf("--out") + 1], StringComparison.Ordinal);
        var gateways = command.Select((word, i) => (word, i)).Where(w => w.word == "--gateway").Select(w => command[w.i + 1]).ToList();
        Assert.NotEmpty(gateways);
        Assert.All(gateways, g =>
        {
            Assert.Contains(g.Split(':')[0], hosts);
            Assert.Equal(SiloDefaults.Cluster.GatewayPort.ToString(CultureInfo.InvariantCulture), g.Split(':')[1]);
        });
        Assert.Contains("--wait", command);
        Assert.Empty(ClientCommandLine.UnknownOptions(command));
        Assert.Contains("submit", ClientCommandLine.Commands);
    }

    [Fact]
    public void TheSampleDataIsUploadedWhereTheJobReadsIt()
    {
        var blobs = Compose.Service("blobs");
        var script = string.Join(' ', blobs.Command);
        var command = Compose.Service("submit").Command.ToList();

        Assert.Equal("service_completed_successfully", Compose.Service("submit").Node["depends_on"]["blobs"]["condition"].Text);
        Assert.Equal(Compose.Silos[0].Environment["Cluster__StorageConnection"], blobs.Environment["AZURE_STORAGE_CONNECTION_STRING"]);
        foreach (var location in new[] { command[1], command[command.IndexOf("--labels") + 1] })
        {
            // az://images/nuclei/images is the container "images" and the prefix "nuclei/images".
            var path = location["az://".Length..].Split('/', 2);
            Assert.Contains($"--destination {path[0]} --destination-path {path[1]} ", script, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryPathTheComposeFileNamesExists()
    {
        foreach (var service in Compose.Services)
        {
            if (service.Node.Find("build") is { } build)
            {
                var context = Path.GetFullPath(Path.Combine(Repo.PathOf("deploy"), build["context"].Text));
                Assert.Equal(Repo.Root, Path.TrimEndingDirectorySeparator(context));
                var dockerfile = build["dockerfile"].Text;
                Assert.Contains(Dockerfile.Load(dockerfile).Stages, s => s.Name == service.BuildTarget);
            }

            foreach (var volume in service.Node.Find("volumes")?.Items ?? [])
            {
                var source = volume.Text.Split(':')[0];
                // out/ is where downloads land; Docker makes it when it is not there yet.
                if (source.StartsWith('.') && source != "../out")
                {
                    Assert.True(Repo.Exists(Path.GetRelativePath(Repo.Root, Path.Combine(Repo.PathOf("deploy"), source))), $"{service.Name}: {source} does not exist.");
                }
            }
        }
    }
}
