using System.Net;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

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

    /// <summary>
    /// The key (32 random bytes, base64) that seals the SAS of jobs' locations in stored job state; the
    /// same on every silo, given as a secret (<c>Cluster__CredentialKey</c>), never stored next to the state.
    /// </summary>
    public string? CredentialKey { get; set; }

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

        if (!string.IsNullOrWhiteSpace(CredentialKey) && CredentialKeyBytes(CredentialKey) is null)
        {
            problems.Add($"{CredentialSeal.Setting}: give {CredentialSeal.KeyBytes} random bytes in base64 (openssl rand -base64 {CredentialSeal.KeyBytes}); the value set is not that.");
        }

        return problems;
    }

    /// <summary>
    /// What seals the SAS of jobs' locations: the configured key; with state in memory (Localhost) and no
    /// key, one made for this process; with state in storage and no key, none, so jobs with a SAS are refused.
    /// </summary>
    public CredentialSeal Seal() =>
        !string.IsNullOrWhiteSpace(CredentialKey) && CredentialKeyBytes(CredentialKey) is { } bytes ? CredentialSeal.WithKey(bytes)
        : Clustering == ClusteringKind.Localhost ? CredentialSeal.ForThisProcess()
        : CredentialSeal.WithoutKey();

    private static byte[]? CredentialKeyBytes(string key)
    {
        var bytes = new byte[CredentialSeal.KeyBytes + 3];
        return Convert.TryFromBase64String(key.Trim(), bytes, out var length) && length == CredentialSeal.KeyBytes ? bytes[..length] : null;
    }
}
