using System.Diagnostics;
using System.Globalization;
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
[Trait(TestTier.Category, TestTier.External)]
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

    [Fact]
    public async Task TheCommandLineTakesEachLocationsSasFromTheEnvironmentAndNeverShowsIt()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var outputContainer = new BlobContainerClient(fixture.Azurite.ConnectionString, "sas-cli-" + Guid.NewGuid().ToString("N")[..8]);
        await outputContainer.CreateAsync(cancellationToken: deadline.Token);
        await using var cluster = await SiloCluster.StartAsync(fixture.Silos, "it-sas-cli", 1, deadline.Token);

        TestTier.StartingProcess("the unetpp command line");
        var start = new ProcessStartInfo(RepoPaths.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            RepoPaths.ClientDll, "submit", $"{fixture.Azurite.BlobEndpoint}/{Dataset.Container}/{Dataset.InputPrefix}",
            "--out", $"{fixture.Azurite.BlobEndpoint}/{outputContainer.Name}/by-cli", "--model", fixture.ModelPath, "--tile", "64",
            "--region-pixels", (Dataset.LargeWidth * Dataset.LargeHeight - 1).ToString(CultureInfo.InvariantCulture), "--region-size", "128",
            "--gateway", $"127.0.0.1:{cluster.Silos[0].GatewayPort}", "--cluster-id", cluster.Id, "--wait",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["UNETPP_INPUT_SAS"] = Sas(Dataset.Container, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List).ToString();
        start.Environment["UNETPP_OUTPUT_SAS"] = Sas(outputContainer.Name, OutputRights).ToString();
        using var client = Process.Start(start)!;
        var stdout = client.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = client.StandardError.ReadToEndAsync(deadline.Token);

        // What a process listing shows of the client while it runs: its arguments, without a signature.
        var listed = (await File.ReadAllTextAsync($"/proc/{client.Id}/cmdline", deadline.Token)).Replace('\0', ' ');
        await client.WaitForExitAsync(deadline.Token);
        var printed = await stdout + await stderr;
        output.WriteLine($"unetpp submit exited {client.ExitCode}; its command line: {listed}");

        Assert.Contains("submit", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", listed, StringComparison.Ordinal);
        Assert.True(client.ExitCode == 1, $"exit {client.ExitCode} (1: done, with the corrupt images failed)\n{printed}\n{cluster.Logs()}");
        Assert.DoesNotContain("sig=", printed.Replace("sig=REDACTED", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var masks = 0;
        await foreach (var _ in outputContainer.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "by-cli/masks/" }, deadline.Token))
        {
            masks++;
        }

        Assert.Equal(Dataset.GoodCount, masks);
    }

    private string Location(string container, string prefix, BlobContainerSasPermissions rights) =>
        $"{fixture.Azurite.BlobEndpoint}/{container}/{prefix}?{Sas(container, rights)}";

    /// <summary>A SAS for a whole container of the emulator's account, valid for an hour.</summary>
    internal static BlobSasQueryParameters Sas(string container, BlobContainerSasPermissions rights) =>
        new BlobSasBuilder(rights, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = container, Resource = "c" }
            .ToSasQueryParameters(new StorageSharedKeyCredential(AzuriteProcess.AccountName, AzuriteProcess.AccountKey));
}
