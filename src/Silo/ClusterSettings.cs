using System.Net;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Silo;

/// <summary>How silos find each other and keep state.</summary>
public enum ClusteringKind
{
    /// <summary>Silos on one machine, state in memory: development and the one-command embedded mode.</summary>
    Localhost,

    /// <summary>Membership in Azure Table storage and grain state in Azure Blob storage (Azurite on a laptop or in tests).</summary>
    AzureStorage,
}

/// <summary>The silo's cluster settings (section <c>Cluster</c>); deployment files rely on these names.</summary>
public sealed class ClusterSettings
{
    public const string SectionName = "Cluster";

    public string Id { get; set; } = "unetpp";

    public ClusteringKind Clustering { get; set; } = ClusteringKind.Localhost;

    /// <summary>Azure Storage connection string for membership and grain state (<c>AzureStorage</c> clustering).</summary>
    public string? StorageConnection { get; set; }

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>With <c>Localhost</c> clustering, the silo port of the silo the others join (default: this one's).</summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>The address other silos and clients reach this silo at; it also binds there.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Mutual TLS between silos and with clients (section <c>Cluster:Tls</c>); off unless set.</summary>
    public ClusterTls Tls { get; set; } = new();

    /// <summary>How the cluster names this silo: its advertised address and silo port.</summary>
    public string Endpoint => $"{AdvertisedAddress}:{SiloPort}";

    public static ClusterSettings From(IConfiguration configuration) =>
        configuration.GetSection(SectionName).Get<ClusterSettings>() ?? new ClusterSettings();

    /// <summary>Every problem, each naming its setting; empty when the settings can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Id))
        {
            problems.Add("Cluster:Id must not be empty.");
        }

        if (Clustering == ClusteringKind.AzureStorage && string.IsNullOrWhiteSpace(StorageConnection))
        {
            problems.Add("Cluster:StorageConnection is required with Cluster:Clustering=AzureStorage (an Azure Storage connection string; UseDevelopmentStorage=true for Azurite).");
        }

        foreach (var (name, port) in new[] { ("Cluster:SiloPort", SiloPort), ("Cluster:GatewayPort", GatewayPort), ("Cluster:PrimarySiloPort", PrimarySiloPort ?? SiloPort) })
        {
            if (port is < 1 or > 65535)
            {
                problems.Add($"{name} {port}: a port is between 1 and 65535.");
            }
        }

        if (SiloPort == GatewayPort)
        {
            problems.Add($"Cluster:SiloPort and Cluster:GatewayPort are both {SiloPort}; they must differ.");
        }

        if (!IPAddress.TryParse(AdvertisedAddress, out _))
        {
            problems.Add($"Cluster:AdvertisedAddress '{AdvertisedAddress}' is not an IP address.");
        }

        return problems;
    }
}
