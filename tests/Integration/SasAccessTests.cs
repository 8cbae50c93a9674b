using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// Storage access with the least rights a job needs, as a user would hand them out: a SAS that can
/// only read and list the input, and one for the output with only the rights the README names. The
/// silos hold no key of their own for these containers' data: the SAS in each location is all.
/// </summary>
[Collection(IntegrationGroup.Name)]
public sealed class SasAccessTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    /// <summary>What the README tells users to grant on the output, and why each (see there).</summary>
    public const BlobContainerSasPermissions OutputRights =
        BlobContainerSasPermissions.Create | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Delete;

    [Fact]
    public async Task AJobRunsWithReadAndListOnTheInputAndTheDocumentedRightsOnTheOutput()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var outputContainer = new BlobContainerClient(fixture.Azurite.ConnectionString, "sas-out-" + Guid.NewGuid().ToString("N")[..8]);
        await outputContainer.CreateAsync(cancellationToken: deadline.Token);
        var input = Location(Dataset.Container, Dataset.InputPrefix, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List);
        var outputLocation = Location(outputContainer.Name, "masks-by-sas", OutputRights);

        await using var cluster = await SiloCluster.StartAsync(fixture.Silos, "it-sas", 1, deadline.Token);
        var jobId = SegmentationClient.NewJobId();
        var status = await cluster.Client.SubmitAsync(jobId, fixture.Spec("unused") with { Input = input, Output = outputLocation });
        while (!status.IsFinished)
        {
            await Task.Delay(200, deadline.Token);
            status = await cluster.Client.GetStatusAsync(jobId);
        }

        output.WriteLine(IntegrationFixture.Describe(status));
        Assert.True(status.State == JobState.CompletedWithFailures, IntegrationFixture.Describe(status) + "\n" + cluster.Logs());
        Assert.Equal((Dataset.GoodCount, Dataset.Corrupt.Count), (status.Done, status.Failed));
        var written = new List<string>();
        await foreach (var blob in outputContainer.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "masks-by-sas/" }, deadline.Token))
        {
            written.Add(blob.Name);
        }

        Assert.Equal(Dataset.GoodCount, written.Count(n => n.StartsWith("masks-by-sas/masks/", StringComparison.Ordinal)));
        Assert.Contains("masks-by-sas/" + JobReport.FileName, written);

        // Without the right to write, the job is refused before anything starts, naming the problem.
        var readOnly = Location(outputContainer.Name, "not-writable", BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Client.SubmitAsync(SegmentationClient.NewJobId(), fixture.Spec("unused") with { Input = input, Output = readOnly }));
        output.WriteLine(refused.Message);
        Assert.Contains("does not allow it", refused.Message, StringComparison.Ordinal);
    }

    private string Location(string container, string prefix, BlobContainerSasPermissions rights)
    {
        var sas = new BlobSasBuilder(rights, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = container, Resource = "c" }
            .ToSasQueryParameters(new StorageSharedKeyCredential(AzuriteProcess.AccountName, AzuriteProcess.AccountKey));
        return $"{fixture.Azurite.BlobEndpoint}/{container}/{prefix}?{sas}";
    }
}
