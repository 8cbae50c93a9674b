using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// A job of many small images on three silos: it completes with every mask, each silo's memory is
/// reported at the start, its peak and the end, and status answers stay quick throughout. CI runs
/// 1,000 images; <c>UNETPP_LOAD_IMAGES=10000 ./test.sh --filter LoadTests</c> runs the full form.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class LoadTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    private static int Images => int.TryParse(Environment.GetEnvironmentVariable("UNETPP_LOAD_IMAGES"), out var n) && n > 0 ? n : 1000;

    [Fact]
    public async Task ManySmallImagesCompleteWithMemoryFlatAndStatusQuick()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(Math.Max(5, Images / 400)));
        var prefix = await UploadAsync(Images, deadline.Token);
        await using var cluster = await SiloCluster.StartAsync(fixture.Silos, "it-load", 3, deadline.Token);
        var start = cluster.Silos.Select(s => s.Memory().Resident).ToList();

        var jobId = SegmentationClient.NewJobId();
        var spec = fixture.Spec("out-load") with { Input = $"az://{Dataset.Container}/{prefix}", ShardSize = 16 };
        var clock = Stopwatch.StartNew();
        var status = await cluster.Client.SubmitAsync(jobId, spec);
        var latencies = new List<double>();

        // Each silo's resident memory as the job passes each tenth of its images: flat means a plateau
        // after the first tenths, not a climb that lasts as long as the job.
        var tenths = new List<List<SiloSample>>();
        using var http = new HttpClient();
        while (!status.IsFinished)
        {
            await Task.Delay(250, deadline.Token);
            var asked = Stopwatch.StartNew();
            status = await cluster.Client.GetStatusAsync(jobId);
            latencies.Add(asked.Elapsed.TotalMilliseconds);
            while (tenths.Count < 10 && status.Done * 10 >= (tenths.Count + 1) * Images)
            {
                tenths.Add([.. await Task.WhenAll(cluster.Silos.Select(s => SampleAsync(http, s, deadline.Token)))]);
            }
        }

        var elapsed = clock.Elapsed;
        var end = cluster.Silos.Select(s => s.Memory()).ToList();
        latencies.Sort();
        var state = await JobStateAsync(jobId, deadline.Token);
        output.WriteLine($"{Images} images of 48×48 on 3 silos: {IntegrationFixture.Describe(status)} in {elapsed.TotalSeconds:F1} s ({Images / elapsed.TotalSeconds:F1} images/s)");
        for (var i = 0; i < cluster.Silos.Count; i++)
        {
            string AtTenths(Func<SiloSample, string> value) => string.Join(" ", tenths.Select(t => value(t[i])));
            output.WriteLine($"  {cluster.Silos[i].Name}: start {Mib(start[i])} MiB, peak {Mib(end[i].Peak)} MiB, end {Mib(end[i].Resident)} MiB; at each tenth of the job:");
            output.WriteLine($"    resident {AtTenths(s => Mib(s.Memory.Resident))} MiB");
            output.WriteLine($"    of it anonymous {AtTenths(s => Mib(s.Memory.Anonymous))} MiB, pages of files {AtTenths(s => Mib(s.Memory.FileBacked))} MiB, the JIT's code {AtTenths(s => Mib(s.Memory.Shared))} MiB");
            output.WriteLine($"    managed heap {AtTenths(s => Mib(s.ManagedHeap))} MiB, anonymous outside it {AtTenths(s => Mib(s.Memory.Anonymous - s.ManagedHeap))} MiB");
            output.WriteLine($"    threads {AtTenths(s => s.Memory.Threads.ToString(CultureInfo.InvariantCulture))}; methods compiled {AtTenths(s => s.MethodsCompiled.ToString(CultureInfo.InvariantCulture))}");
        }

        output.WriteLine($"  status: {latencies.Count} calls, median {latencies[latencies.Count / 2]:F1} ms, 99th {latencies[(int)(latencies.Count * 0.99)]:F1} ms, slowest {latencies[^1]:F1} ms");
        output.WriteLine($"  the job's persisted state: {state.Job} bytes; its {state.Pages.Count} page(s): largest {state.Pages.Max() / 1024.0:F0} KiB, {state.Pages.Sum() / 1024.0:F0} KiB in all");

        Assert.True(status.State == JobState.Completed, IntegrationFixture.Describe(status));
        Assert.Equal(Images, status.Done);
        var masks = 0;
        await foreach (var _ in fixture.Data.GetBlobsAsync(new GetBlobsOptions { Prefix = "out-load/masks/" }, deadline.Token))
        {
            masks++;
        }

        Assert.Equal(Images, masks);

        // Loose bounds, to catch what grows with the job rather than to time it.
        Assert.All(end, m => Assert.True(m.Peak < 2L << 30, $"a silo peaked at {Mib(m.Peak)} MiB"));
        Assert.True(latencies[^1] < 5000, $"the slowest status call took {latencies[^1]:F0} ms");

        // The job's own state holds a page's counts per few hundred images, never the images themselves.
        Assert.Equal((Images + 255) / 256, state.Pages.Count); // pages of 256 images (16 shards of 16), the silos' default
        Assert.True(state.Job < 4096 + (state.Pages.Count * 64), $"the job's state is {state.Job} bytes");
    }

    /// <summary>
    /// A silo's memory as the kernel counts it, with the memory the garbage collector held after its last
    /// collection and the methods the JIT has compiled, from the silo's own metrics: together they tell a
    /// managed heap that grows from native memory that does, and that from code still being compiled or paged in.
    /// </summary>
    private static async Task<SiloSample> SampleAsync(HttpClient http, SiloProcess silo, CancellationToken cancellationToken)
    {
        var memory = silo.Memory();
        var metrics = PrometheusText.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.HttpPort}/metrics"), cancellationToken));
        long Metric(string name) => (long)metrics.Single(s => s.Name == name).Value;
        return new SiloSample(memory, Metric("dotnet_gc_last_collection_memory_committed_size_bytes"), Metric("dotnet_jit_compiled_methods_total"));
    }

    private sealed record SiloSample(SiloMemory Memory, long ManagedHeap, long MethodsCompiled);

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture);

    /// <summary>Uploads <paramref name="count"/> small distinct PNGs under a prefix of their own.</summary>
    private async Task<string> UploadAsync(int count, CancellationToken cancellationToken)
    {
        var prefix = $"load-{count}";
        var container = new BlobContainerClient(fixture.Azurite.ConnectionString, Dataset.Container);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var samples = new byte[48 * 48 * 3];
            new Random(i).NextBytes(samples);
            using var image = Image.NewFromMemory(samples, 48, 48, 3, Enums.BandFormat.Uchar);
            await container.GetBlobClient($"{prefix}/img-{i:D5}.png").UploadAsync(BinaryData.FromBytes(image.PngsaveBuffer()), overwrite: true, ct);
        });
        return prefix;
    }

    /// <summary>The sizes of the job's persisted state and of its pages': the blobs the coordinator's grain storage keeps for them.</summary>
    private async Task<(long Job, List<long> Pages)> JobStateAsync(string jobId, CancellationToken cancellationToken)
    {
        var service = new BlobServiceClient(fixture.Azurite.ConnectionString);
        long job = 0;
        var pages = new List<long>();
        await foreach (var container in service.GetBlobContainersAsync(cancellationToken: cancellationToken))
        {
            await foreach (var blob in service.GetBlobContainerClient(container.Name).GetBlobsAsync(cancellationToken: cancellationToken))
            {
                if (!blob.Name.Contains(jobId, StringComparison.Ordinal))
                {
                    continue;
                }

                if (blob.Name.Contains("page", StringComparison.Ordinal))
                {
                    pages.Add(blob.Properties.ContentLength ?? 0);
                }
                else
                {
                    job = blob.Properties.ContentLength ?? 0;
                }
            }
        }

        return (job, pages);
    }
}
