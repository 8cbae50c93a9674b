using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Storage.Tests;

/// <summary>A blob endpoint where nothing answers: the error says so in words, and waiting may help.</summary>
public sealed class UnansweredStorageTests
{
    [Fact]
    public async Task A_listing_nobody_answers_says_the_service_did_not_answer_and_why()
    {
        var port = FreePorts.Take(1)[0];
        var store = new ObjectStoreFactory(new StorageOptions
        {
            BlobConnection = $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.AccountName};AccountKey={AzuriteProcess.AccountKey};" +
                $"BlobEndpoint=http://127.0.0.1:{port}/{AzuriteProcess.AccountName};",
            MaxRetries = 0,
        }).Open(StorageLocation.Parse("az://plates/in"));

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in store.ListAsync(""))
            {
            }
        });

        Assert.StartsWith($"Listing http://127.0.0.1:{port}/{AzuriteProcess.AccountName}/plates/in/ failed: the storage service did not answer (", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP 0", error.Message, StringComparison.Ordinal);
        Assert.True(StorageFaults.IsUnavailable(error));
    }
}
