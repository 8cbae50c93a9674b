using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Bench;

/// <summary>A benchmark's images in the Azurite container, under <see cref="Prefix"/><c>/in</c>.</summary>
internal sealed record SiloDataset(string Prefix, int Images);

/// <summary>
/// The job on real <c>unetpp-silo</c> processes with Azure Storage clustering, its images and masks in
/// Azurite blobs, submitted and followed from this process through the client library as
/// <c>unetpp submit --wait</c> does, and timed from the submit call to the finished status. Every
/// measurement starts its own cluster and kills it afterwards, so no idle silo shares the cores; every
/// process started here is stopped on dispose, on failure and on Ctrl-C.
/// </summary>
internal sealed class SiloBenchmark(int batchSize, TextWriter log) : IAsyncDisposable
{
    private const string Container = "bench";

    /// <summary>The silos' <c>Inference:ShardsPerWorker</c>, set so that the job's shards can be cut to match.</summary>
    private const int ShardsPerWorker = 2;

    /// <summary>The most silos one measurement starts.</summary>
    private const int MostSilos = 2;

    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly AzuriteProcess _azurite = new();
    private readonly string _workFolder = Directory.CreateTempSubdirectory("unetpp-bench-silos-").FullName;

    /// <summary>Uploads every image of <paramref name="imagesFolder"/> (starting Azurite the first time).</summary>
    public async Task<SiloDataset> UploadAsync(string name, string imagesFolder, CancellationToken cancellationToken)
    {
        await _azurite.StartAsync();
        var container = new BlobContainerClient(_azurite.ConnectionString, Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var prefix = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
        var files = Directory.GetFiles(imagesFolder);
        await Parallel.ForEachAsync(files, cancellationToken, async (file, ct) =>
        {
            await using var content = File.OpenRead(file);
            await container.GetBlobClient($"{prefix}/in/{Path.GetFileName(file)}").UploadAsync(content, overwrite: true, ct);
        });
        return new SiloDataset(prefix, files.Length);
    }

    /// <summary>
    /// Starts <paramref name="silos"/> silos with <paramref name="threads"/> inference threads each (0 = all
    /// cores), runs the job from <paramref name="data"/> to <paramref name="output"/>, and returns its tiles
    /// per second from submit to finish. A job that does not write every image's mask is an error.
    /// </summary>
    public async Task<MeasuredRun> MeasureAsync(
        SiloDataset data, string modelPath, int silos, int threads, string output, CancellationToken cancellationToken)
    {
        // The model is open before the clock starts (the silos are ready only then), as on a cluster
        // that serves one model; and a one-thread silo gets one core of its own, as on a machine of its own.
        var setup = new SiloClusterSetup(
            _azurite.ConnectionString,
            Container,
            _workFolder,
            new Dictionary<string, string>
            {
                ["Inference__Threads"] = threads.ToString(CultureInfo.InvariantCulture),
                ["Inference__ShardsPerWorker"] = ShardsPerWorker.ToString(CultureInfo.InvariantCulture),
                ["Inference__WarmupModel"] = modelPath,
                ["Inference__BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
            },
            OneCoreEach: threads == 1);
        var spec = new JobSpec
        {
            Input = $"az://{Container}/{data.Prefix}/in",
            Output = $"az://{Container}/{data.Prefix}/{output}",
            Model = modelPath,
            Mode = "L4",

            // The card's tile size, left unset as a user would, so the job uses the engine the silo warmed.
            BatchSize = batchSize,
            // As many shards as the largest cluster's workers lease at once, so every silo leases its whole
            // share at the start and none waits for another's last shard: the ratio measures the silos, not
            // how the images were cut.
            ShardSize = (int)Math.Ceiling(data.Images / (double)(MostSilos * ShardsPerWorker)),
        };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(JobTimeout);
        await using var cluster = await SiloCluster.StartAsync(setup, "bench", silos, deadline.Token);
        try
        {
            var cpu = SiloCpu(cluster);
            var seconds = await RunJobAsync(cluster, spec, deadline.Token);
            cpu = SiloCpu(cluster) - cpu;
            var report = await CheckOutputAsync(data, spec, output, deadline.Token);
            var bySilo = string.Join(", ", report.ImagesBySilo.Select(s => $"{s.Key} {s.Value}"));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {silos} silo(s), {threads} thread(s): {report.Counts.Done} images in {seconds:F1} s (images by silo: {bySilo})"));
            return new(report.Throughput.Tiles / seconds, cpu.TotalSeconds / report.Throughput.Tiles);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The job on {silos} silo process(es) did not finish within {JobTimeout.TotalMinutes} minutes.\n{cluster.Logs()}", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidOperationException($"The job on {silos} silo process(es) failed: {ex.Message}\n{cluster.Logs()}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _azurite.DisposeAsync();
        }
        finally
        {
            // As in the integration tests, UNETPP_KEEP_LOGS keeps every silo's log for a look afterwards.
            if (Environment.GetEnvironmentVariable("UNETPP_KEEP_LOGS") is { Length: > 0 })
            {
                log.WriteLine($"Silo logs kept in {Path.Combine(_workFolder, "logs")}.");
            }
            else
            {
                Directory.Delete(_workFolder, recursive: true);
            }
        }
    }

    /// <summary>The CPU time of every silo of the cluster together.</summary>
    private static TimeSpan SiloCpu(SiloCluster cluster) => cluster.Silos.Aggregate(TimeSpan.Zero, (sum, silo) => sum + silo.ProcessorTime());

    /// <summary>Submits the job and follows it to its end; the seconds from the submit call to the first finished status.</summary>
    private static async Task<double> RunJobAsync(SiloCluster cluster, JobSpec spec, CancellationToken cancellationToken)
    {
        var jobId = SegmentationClient.NewJobId();
        var clock = Stopwatch.StartNew();
        var status = await cluster.Client.SubmitAsync(jobId, spec);
        while (!status.IsFinished)
        {
            if (cluster.Silos.FirstOrDefault(s => s.HasExited) is { } gone)
            {
                throw new InvalidOperationException($"{gone.Name} exited during job {jobId}.");
            }

            await Task.Delay(PollInterval, cancellationToken);
            status = await cluster.Client.GetStatusAsync(jobId);
        }

        clock.Stop();
        if (status.State != JobState.Completed || status.Failed > 0)
        {
            throw new InvalidOperationException(
                $"Job {jobId} ended {status.State}: {status.Done} done and {status.Failed} failed of {status.Total}" +
                $"{(status.Error is null ? "" : $" ({status.Error})")}{string.Concat(status.Failures.Take(5).Select(f => $"; {f.Name}: {f.Reason}"))}.");
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The job's report, once every image is known to have its mask and the report says so too.</summary>
    private async Task<JobReport> CheckOutputAsync(SiloDataset data, JobSpec spec, string output, CancellationToken cancellationToken)
    {
        var container = new BlobContainerClient(_azurite.ConnectionString, Container);
        var masks = 0;
        await foreach (var _ in container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{data.Prefix}/{output}/masks/" }, cancellationToken))
        {
            masks++;
        }

        var json = await container.GetBlobClient($"{data.Prefix}/{output}/{JobReport.FileName}").DownloadContentAsync(cancellationToken);
        var report = JobReport.FromJson(json.Value.Content.ToString());
        if (masks != data.Images || report.Counts != new ReportCounts(data.Images, data.Images, 0))
        {
            throw new InvalidOperationException(
                $"{spec.Output} holds {masks} mask(s) and its report counts {report.Counts.Done} done and {report.Counts.Failed} failed of " +
                $"{report.Counts.Total}; {data.Images} image(s) were uploaded.");
        }

        return report;
    }
}
