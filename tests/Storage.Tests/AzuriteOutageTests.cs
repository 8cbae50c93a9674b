using UNetPP.Cluster.Processes;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Storage.Tests;

/// <summary>Azurite going away and coming back on the same port, with its data kept on disk.</summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class AzuriteOutageTests(PersistentAzuriteFixture azurite) : IClassFixture<PersistentAzuriteFixture>
{
    [Fact]
    public async Task A_read_that_starts_during_an_outage_succeeds_once_the_service_is_back()
    {
        var options = new StorageOptions
        {
            BlobConnection = azurite.ConnectionString,
            MaxRetries = 20,
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
        };
        var store = new ObjectStoreFactory(options).Open(StorageLocation.Parse($"az://{AzuriteTests.NewContainerName()}/in"));
        await store.WriteAsync("kept.png", new byte[] { 42 });

        await azurite.StopAsync();
        var read = store.ReadAsync("kept.png");
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(read.IsCompleted);
        await azurite.StartAsync();

        Assert.Equal(new byte[] { 42 }, await read);
    }
}
