using System.Security.Cryptography;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>Which seal a silo keeps jobs' SAS with, by its settings.</summary>
public sealed class CredentialKeyTests
{
    private static readonly JobSpec SasJob = new()
    {
        Input = "https://lab.blob.core.windows.net/images/plate1?sv=2026-06-06&sp=rl&sig=aW5wdXQ%3D",
        Output = "az://masks/plate1",
    };

    [Fact]
    public void SilosGivenTheSameKeyOpenEachOthersSeals()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var first = new ClusterSettings { Clustering = ClusteringKind.AzureStorage, StorageConnection = "UseDevelopmentStorage=true", CredentialKey = key };
        var second = new ClusterSettings { Clustering = ClusteringKind.AzureStorage, StorageConnection = "UseDevelopmentStorage=true", CredentialKey = $" {key}\n" };

        var (stored, sealedSas) = first.Seal().Seal("job-1", SasJob);

        Assert.Empty(first.Problems());
        Assert.Equal(SasJob, second.Seal().Open("job-1", stored, sealedSas));
    }

    [Fact]
    public void StoredStateWithoutAKeyRefusesASasJobNamingTheSetting()
    {
        var settings = new ClusterSettings { Clustering = ClusteringKind.AzureStorage, StorageConnection = "UseDevelopmentStorage=true", CredentialKey = " " };

        var refused = Assert.Throws<ArgumentException>(() => settings.Seal().Seal("job-1", SasJob));

        Assert.Empty(settings.Problems());
        Assert.Contains("Cluster:CredentialKey", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StateInMemoryNeedsNoKey()
    {
        var seal = new ClusterSettings { Clustering = ClusteringKind.Localhost }.Seal();

        var (stored, sealedSas) = seal.Seal("job-1", SasJob);

        Assert.Equal(SasJob, seal.Open("job-1", stored, sealedSas));
    }

    [Fact]
    public void AKeyThatIsNotThirtyTwoBytesIsAProblemThatDoesNotShowIt()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

        var problem = Assert.Single(new ClusterSettings { CredentialKey = key }.Problems());

        Assert.StartsWith("Cluster:CredentialKey:", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(key, problem, StringComparison.Ordinal);
    }
}
