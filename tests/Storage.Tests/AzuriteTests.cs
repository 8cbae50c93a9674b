using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Storage.Tests;

/// <summary>The collection of tests that share one Azurite; each test uses its own container.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteTests : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";

    public static string NewContainerName() => "t" + Guid.NewGuid().ToString("N")[..20];
}
