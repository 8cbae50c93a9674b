using UNetPP.Cluster.Processes;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Storage.Tests;

/// <summary>Locations opened by the factory, against a real Azurite; what needs no blob service is in <see cref="ObjectStoreFactorySettingsTests"/>.</summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(AzuriteTests.Name)]
public sealed class ObjectStoreFactoryTests(AzuriteFixture azurite)
{
    private readonly string _containerName = AzuriteTests.NewContainerName();

    [Fact]
    public async Task Az_locations_and_emulator_urls_use_the_configured_connection_string()
    {
        var factory = new ObjectStoreFactory(new StorageOptions { BlobConnection = azurite.ConnectionString });
        var viaAz = factory.Open(StorageLocation.Parse($"az://{_containerName}/run"));
        var viaUrl = factory.Open(StorageLocation.Parse($"{azurite.BlobEndpoint}/{_containerName}/run"));

        await viaAz.WriteAsync("x.png", new byte[] { 5 });

        Assert.Equal(new byte[] { 5 }, await viaUrl.ReadAsync("x.png"));
        Assert.Contains("Storage:BlobConnection", Assert.IsType<BlobObjectStore>(viaUrl).Authentication, StringComparison.Ordinal);
    }

    [Fact]
    public void An_emulator_url_without_sas_or_matching_connection_fails_naming_the_setting()
    {
        var factory = new ObjectStoreFactory(new StorageOptions { BlobConnection = azurite.ConnectionStringFor(1) });

        var error = Assert.Throws<InvalidOperationException>(() => factory.Open(StorageLocation.Parse($"{azurite.BlobEndpoint}/data/in")));

        Assert.Contains("Storage:BlobConnection", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_throttled_read_is_retried_by_the_sdk_policy_until_it_succeeds()
    {
        await Seed("cell.png", [1, 2, 3]);
        await using var proxy = new FlakyProxy(azurite.BlobPort, failures: 2);
        var store = StoreThrough(proxy, maxRetries: 3);

        Assert.Equal(new byte[] { 1, 2, 3 }, await store.ReadAsync("cell.png"));
        Assert.Equal(3, proxy.Connections);
    }

    [Fact]
    public async Task A_read_throttled_more_times_than_the_retries_fails_naming_the_object()
    {
        await Seed("cell.png", [1]);
        await using var proxy = new FlakyProxy(azurite.BlobPort, failures: 3);
        var store = StoreThrough(proxy, maxRetries: 1);

        var error = await Assert.ThrowsAsync<IOException>(() => store.ReadAsync("cell.png"));

        Assert.Contains("'cell.png'", error.Message, StringComparison.Ordinal);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, proxy.Connections);
    }

    private async Task Seed(string name, byte[] bytes) =>
        await new ObjectStoreFactory(new StorageOptions { BlobConnection = azurite.ConnectionString })
            .Open(StorageLocation.Parse($"az://{_containerName}/in"))
            .WriteAsync(name, bytes);

    private IObjectStore StoreThrough(FlakyProxy proxy, int maxRetries)
    {
        var options = new StorageOptions
        {
            BlobConnection = azurite.ConnectionStringFor(proxy.Port),
            MaxRetries = maxRetries,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        };
        return new ObjectStoreFactory(options).Open(StorageLocation.Parse($"az://{_containerName}/in"));
    }
}
