using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// No secret at rest: a job given SAS URLs for its input and output runs through a crash of the whole
/// cluster, and everything the cluster leaves behind — every blob and its metadata, every table entity,
/// Azurite's own files on disk, the silos' logs and model cache — is read in full, while the job runs
/// and after it, for the signatures, the account key and the cluster's credential key.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class SecretsAtRestTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task NoSignatureOrKeyIsStoredWhileASasJobRunsThroughAWholeClusterCrashNorAfterIt()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var outputContainer = new BlobContainerClient(fixture.Azurite.ConnectionString, "secrets-" + Guid.NewGuid().ToString("N")[..8]);
        await outputContainer.CreateAsync(cancellationToken: deadline.Token);
        var inputSas = SasAccessTests.Sas(Dataset.Container, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List);
        var outputSas = SasAccessTests.Sas(outputContainer.Name, SasAccessTests.OutputRights);
        var input = $"{fixture.Azurite.BlobEndpoint}/{Dataset.Container}/{Dataset.InputPrefix}";
        var outputLocation = $"{fixture.Azurite.BlobEndpoint}/{outputContainer.Name}/masks";

        await using var cluster = await SiloCluster.StartAsync(fixture.SilosForAWholeClusterCrash, "it-secrets", 2, deadline.Token);
        var secrets = Secrets(inputSas, outputSas, cluster.CredentialKey);
        var jobId = SegmentationClient.NewJobId();
        var status = await cluster.Client.SubmitAsync(jobId, fixture.Spec("unused") with { Input = $"{input}?{inputSas}", Output = $"{outputLocation}?{outputSas}" });

        // What any client of the cluster can ask about the job shows its locations bare.
        Assert.Equal((input, outputLocation), (status.Spec!.Input, status.Spec.Output));
        var midJob = false;
        while (!status.IsFinished)
        {
            await Task.Delay(200, deadline.Token);
            status = await ClusterTests.RetryAsync(() => cluster.Client.GetStatusAsync(jobId), deadline.Token);
            if (!midJob && status.State == JobState.Running && status.Done + status.Failed >= status.Total / 5 && status.Total > 0)
            {
                midJob = true;
                var stored = await ReadEverythingAsync(cluster, deadline.Token);
                AssertHoldsNone(stored, secrets, "while the job ran");
                AssertHoldsTheJob(stored, input, outputContainer.Name, expectReport: false);

                // Every silo killed at once: the new ones have only the stored state and the key to go on.
                await cluster.RestartAllAsync(deadline.Token, kill: true);
            }
        }

        Assert.True(midJob, "The job ended before the cluster could be crashed in the middle of it.");
        Assert.True(status.State == JobState.CompletedWithFailures, IntegrationFixture.Describe(status) + "\n" + cluster.Logs());
        Assert.Equal((Dataset.GoodCount, Dataset.Corrupt.Count), (status.Done, status.Failed));
        var masks = 0;
        await foreach (var _ in outputContainer.GetBlobsAsync(new GetBlobsOptions { Prefix = "masks/masks/" }, deadline.Token))
        {
            masks++;
        }

        Assert.Equal(Dataset.GoodCount, masks);
        var after = await ReadEverythingAsync(cluster, deadline.Token);
        AssertHoldsNone(after, secrets, "after the job");
        AssertHoldsTheJob(after, input, outputContainer.Name, expectReport: true);
        output.WriteLine($"{after.Count} stored things read after the job ({after.Sum(s => s.Text.Length):N0} characters), none with a signature or key.");
    }

    [Fact]
    public async Task SilosWithAnotherKeyFailTheJobNamingTheSettingAndResumeWithTheSasFinishesIt()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var outputContainer = new BlobContainerClient(fixture.Azurite.ConnectionString, "rekeyed-" + Guid.NewGuid().ToString("N")[..8]);
        await outputContainer.CreateAsync(cancellationToken: deadline.Token);
        var spec = fixture.Spec("unused") with
        {
            Input = $"{fixture.Azurite.BlobEndpoint}/{Dataset.Container}/{Dataset.InputPrefix}?{SasAccessTests.Sas(Dataset.Container, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List)}",
            Output = $"{fixture.Azurite.BlobEndpoint}/{outputContainer.Name}/masks?{SasAccessTests.Sas(outputContainer.Name, SasAccessTests.OutputRights)}",
        };

        await using var cluster = await SiloCluster.StartAsync(fixture.SilosForAWholeClusterCrash, "it-rekeyed", 1, deadline.Token);
        var jobId = SegmentationClient.NewJobId();
        var status = await cluster.Client.SubmitAsync(jobId, spec);
        while (!(status.State == JobState.Running && status.Done > 0))
        {
            await Task.Delay(100, deadline.Token);
            status = await cluster.Client.GetStatusAsync(jobId);
        }

        // The whole cluster replaced by silos given another key: the stored SAS is of no use to them.
        await cluster.RestartAllAsync(deadline.Token, kill: true, new Dictionary<string, string>
        {
            ["Cluster__CredentialKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        });
        status = await ClusterTests.RetryAsync(() => cluster.Client.GetStatusAsync(jobId), deadline.Token);
        output.WriteLine(IntegrationFixture.Describe(status));
        Assert.True(status.State == JobState.Failed, IntegrationFixture.Describe(status) + "\n" + cluster.Logs());
        Assert.Contains("Cluster:CredentialKey", status.Error, StringComparison.Ordinal);
        Assert.Contains("--resume", status.Error, StringComparison.Ordinal);

        // Given again with its SAS, the job continues into its output and finishes what was left.
        status = await cluster.Client.SubmitAsync(jobId, spec with { Resume = true });
        while (!status.IsFinished)
        {
            await Task.Delay(200, deadline.Token);
            status = await cluster.Client.GetStatusAsync(jobId);
        }

        Assert.True(status.State == JobState.CompletedWithFailures, IntegrationFixture.Describe(status) + "\n" + cluster.Logs());
        Assert.Equal((Dataset.GoodCount, Dataset.Corrupt.Count), (status.Done, status.Failed));
        Assert.True(status.Skipped > 0, IntegrationFixture.Describe(status));
    }

    /// <summary>What must never be found: each signature raw and as a URL carries it, whole SAS strings, and the keys.</summary>
    private static List<(string What, string Value)> Secrets(BlobSasQueryParameters inputSas, BlobSasQueryParameters outputSas, string credentialKey)
    {
        var secrets = new List<(string What, string Value)>();
        foreach (var (name, sas) in new[] { ("input", inputSas), ("output", outputSas) })
        {
            secrets.Add(($"the {name} SAS's signature", sas.Signature));
            secrets.Add(($"the {name} SAS's signature, URL-encoded", Uri.EscapeDataString(sas.Signature)));
            secrets.Add(($"the {name} SAS's signature, form-encoded", System.Net.WebUtility.UrlEncode(sas.Signature)));
            secrets.Add(($"the {name} SAS", sas.ToString()));
        }

        secrets.Add(("the account key", AzuriteProcess.AccountKey));
        secrets.Add(("the account key, URL-encoded", Uri.EscapeDataString(AzuriteProcess.AccountKey)));
        secrets.Add(("the cluster's credential key", credentialKey));
        return secrets;
    }

    /// <summary>
    /// Fails naming each place that holds a secret. Storage may hold no <c>sig=</c> at all; logs may
    /// show a redacted one (<c>sig=REDACTED</c>), never a value.
    /// </summary>
    private static void AssertHoldsNone(IReadOnlyList<StoredText> stored, IReadOnlyList<(string What, string Value)> secrets, string when)
    {
        var found = new List<string>();
        foreach (var item in stored)
        {
            found.AddRange(secrets.Where(s => item.Text.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"{item.Place}: {s.What}"));
            if (item.InStorage && item.Text.Contains("sig=", StringComparison.OrdinalIgnoreCase))
            {
                found.Add($"{item.Place}: a 'sig=' parameter");
            }
        }

        Assert.True(found.Count == 0, $"Found {when}:\n{string.Join("\n", found)}");
    }

    /// <summary>The reads did reach the job: its stored state names its input, as does its report at the end.</summary>
    private static void AssertHoldsTheJob(IReadOnlyList<StoredText> stored, string input, string outputContainer, bool expectReport)
    {
        var holding = stored.Where(s => s.Text.Contains(input, StringComparison.Ordinal)).Select(s => s.Place).ToList();
        Assert.True(holding.Any(p => p.StartsWith("blob ", StringComparison.Ordinal) && !p.Contains(outputContainer, StringComparison.Ordinal)), $"No stored job state names {input}: {string.Join(", ", holding)}");
        Assert.Contains(stored, s => s.Place.StartsWith("table ", StringComparison.Ordinal));
        Assert.Contains(stored, s => s.Place.StartsWith("file ", StringComparison.Ordinal) && s.InStorage);
        if (expectReport)
        {
            Assert.Contains($"blob {outputContainer}/masks/{JobReport.FileName}", holding);
            Assert.Contains(stored, s => s.Place.StartsWith($"blob {outputContainer}/masks/.unetpp/manifests/", StringComparison.Ordinal));
        }
    }

    /// <summary>Everything the cluster's storage and silos hold, each as text (bytes as Latin-1, so any ASCII secret shows).</summary>
    private async Task<List<StoredText>> ReadEverythingAsync(SiloCluster cluster, CancellationToken cancellationToken)
    {
        var stored = new List<StoredText>();
        var blobs = new BlobServiceClient(fixture.Azurite.ConnectionString);
        await foreach (var container in blobs.GetBlobContainersAsync(BlobContainerTraits.Metadata, cancellationToken: cancellationToken))
        {
            stored.Add(new($"container {container.Name}", container.Name + Join(container.Properties.Metadata), true));
            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }, cancellationToken))
            {
                string content;
                try
                {
                    content = Encoding.Latin1.GetString((await client.GetBlobClient(blob.Name).DownloadContentAsync(cancellationToken)).Value.Content.ToArray());
                }
                catch (Azure.RequestFailedException ex) when (ex.Status == 404)
                {
                    // A temporary name renamed away between the listing and the read.
                    continue;
                }

                stored.Add(new($"blob {container.Name}/{blob.Name}", blob.Name + Join(blob.Metadata) + content, true));
            }
        }

        var tables = new TableServiceClient(fixture.Azurite.ConnectionString);
        await foreach (var table in tables.QueryAsync(cancellationToken: cancellationToken))
        {
            await foreach (var entity in tables.GetTableClient(table.Name).QueryAsync<TableEntity>(cancellationToken: cancellationToken))
            {
                var values = entity.Select(p => $"{p.Key}={(p.Value is byte[] bytes ? Encoding.Latin1.GetString(bytes) : p.Value)}");
                stored.Add(new($"table {table.Name} {entity.PartitionKey}/{entity.RowKey}", string.Join("\n", values), true));
            }
        }

        stored.AddRange(ReadFiles(fixture.Azurite.DataFolder ?? throw new InvalidOperationException("Azurite keeps its data in memory; the test reads its files."), true));
        foreach (var folder in cluster.Folders)
        {
            stored.AddRange(ReadFiles(folder, false));
        }

        return stored;
    }

    private static IEnumerable<StoredText> ReadFiles(string folder, bool inStorage)
    {
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            string text;
            try
            {
                text = Encoding.Latin1.GetString(File.ReadAllBytes(file));
            }
            catch (FileNotFoundException)
            {
                // Removed while the folder was read (an extent Azurite compacted, a cache file replaced).
                continue;
            }

            yield return new($"file {file}", text, inStorage);
        }
    }

    private static string Join(IDictionary<string, string>? pairs) =>
        pairs is null ? "" : string.Concat(pairs.Select(p => $"\n{p.Key}={p.Value}"));

    /// <param name="InStorage">Whether it is what storage holds (Azurite), where not even a redacted <c>sig=</c> belongs.</param>
    private sealed record StoredText(string Place, string Text, bool InStorage);
}
