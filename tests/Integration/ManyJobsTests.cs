using System.Diagnostics;
using System.Net;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// Twenty jobs at once from five clients on three silos: every one completes with every mask, and
/// the cluster shares itself between them rather than serving them one after another.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class ManyJobsTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    private const int Jobs = 20;
    private const int Clients = 5;
    private const int ImagesPerJob = 24;

    [Fact]
    public async Task TwentyJobsFromFiveClientsAllCompleteAndProgressTogether()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var input = await CopyImagesAsync("many-in", ImagesPerJob, deadline.Token);
        await using var cluster = await SiloCluster.StartAsync(fixture.Silos, "it-many", 3, deadline.Token);
        var clients = new List<IHost>();
        try
        {
            for (var i = 0; i < Clients - 1; i++)
            {
                clients.Add(await ConnectAsync(cluster, deadline.Token));
            }

            var callers = clients.Select(c => new SegmentationClient(c.Services.GetRequiredService<IClusterClient>())).Prepend(cluster.Client).ToList();
            var jobs = Enumerable.Range(0, Jobs).Select(i => (Id: $"many-{i:D2}-{Guid.NewGuid().ToString("N")[..6]}", Caller: callers[i % Clients], Output: $"many-out-{i:D2}")).ToList();
            await Task.WhenAll(jobs.Select(j => j.Caller.SubmitAsync(j.Id, fixture.Spec(j.Output) with { Input = $"az://{Dataset.Container}/{input}", ShardSize = 4 })));

            // Each job's share done when half of all the images are, then the wait for all.
            var clock = Stopwatch.StartNew();
            IReadOnlyList<JobStatus>? atHalf = null;
            IReadOnlyList<JobStatus> statuses;
            while (true)
            {
                statuses = await Task.WhenAll(jobs.Select(j => j.Caller.GetStatusAsync(j.Id)));
                atHalf ??= statuses.Sum(s => s.Done) * 2 >= Jobs * ImagesPerJob ? statuses : null;
                if (statuses.All(s => s.IsFinished))
                {
                    break;
                }

                await Task.Delay(200, deadline.Token);
            }

            var shares = atHalf!.Select(s => (double)s.Done / s.Total).ToList();
            output.WriteLine($"{Jobs} jobs of {ImagesPerJob} images from {Clients} clients on 3 silos, all done in {clock.Elapsed.TotalSeconds:F1} s");
            output.WriteLine($"share of each job done when half of all images were: {string.Join(" ", shares.Select(s => s.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)))}");

            Assert.All(statuses, s => Assert.True(s.State == JobState.Completed, IntegrationFixture.Describe(s)));
            foreach (var job in jobs)
            {
                var files = await fixture.ReadOutputAsync(job.Output, deadline.Token);
                Assert.Equal(ImagesPerJob, files.Keys.Count(k => k.StartsWith("masks/", StringComparison.Ordinal)));
            }

            // Served together, not one after another, which would leave about half the jobs not begun
            // at this point; a job or two may still be being planned on a busy machine.
            Assert.True(shares.Count(s => s == 0) < Jobs / 4, $"Jobs not begun at half-time: {shares.Count(s => s == 0)} of {Jobs}.");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.StopAsync(CancellationToken.None);
                client.Dispose();
            }
        }
    }

    /// <summary>Copies a few of the dataset's good images to a prefix of their own; returns the prefix.</summary>
    private async Task<string> CopyImagesAsync(string prefix, int count, CancellationToken cancellationToken)
    {
        var container = new BlobContainerClient(fixture.Azurite.ConnectionString, Dataset.Container);
        foreach (var (name, _, _) in Dataset.Good.Where(g => !g.Name.Contains('/', StringComparison.Ordinal) && (g.Width, g.Height) == (64, 64)).Take(count))
        {
            var bytes = await container.GetBlobClient($"{Dataset.InputPrefix}/{name}").DownloadContentAsync(cancellationToken);
            await container.GetBlobClient($"{prefix}/{name}").UploadAsync(bytes.Value.Content, overwrite: true, cancellationToken);
        }

        return prefix;
    }

    private static async Task<IHost> ConnectAsync(SiloCluster cluster, CancellationToken cancellationToken)
    {
        var gateways = cluster.Silos.Select(s => new IPEndPoint(IPAddress.Loopback, s.GatewayPort)).ToArray();
        var host = new HostBuilder().UseOrleansClient(client =>
        {
            client.UseStaticClustering(gateways);
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.Id, cluster.Id));
        }).Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
