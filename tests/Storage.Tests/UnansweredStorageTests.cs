using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Storage.Tests;

/// <summary>A blob endpoint where nothing answers: the error says so in words, and waiting may help.</summary>
public sealed class UnansweredStorageTests
{
    [Theory]
    [InlineData(0, "")]
    [InlineData(2, " in 3 tries")]
    public async Task A_listing_nobody_answers_says_the_service_did_not_answer_and_why(int retries, string tries)
    {
        var port = FreePorts.Take(1)[0];
        var store = new ObjectStoreFactory(new StorageOptions
        {
            BlobConnection = $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.AccountName};AccountKey={AzuriteProcess.AccountKey};" +
                $"BlobEndpoint=http://127.0.0.1:{port}/{AzuriteProcess.AccountName};",
            MaxRetries = retries,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        }).Open(StorageLocation.Parse("az://plates/in"));

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in store.ListAsync(""))
            {
            }
        });

        Assert.Equal(
            $"Listing http://127.0.0.1:{port}/{AzuriteProcess.AccountName}/plates/in/ failed: the storage service did not answer{tries} (Connection refused).",
            error.Message);
        Assert.True(StorageFaults.IsUnavailable(error));
    }
}
