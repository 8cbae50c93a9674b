using System.Diagnostics;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>What a finished job left: its last status, every blob under its output, and the silos' logs.</summary>
public sealed record JobOutcome(JobStatus Status, IReadOnlyDictionary<string, byte[]> Files, TimeSpan Elapsed, string Logs)
{
    public IReadOnlyDictionary<string, byte[]> Masks =>
        Files.Where(f => f.Key.StartsWith("masks/", StringComparison.Ordinal)).ToDictionary(f => f.Key, f => f.Value);

    /// <summary>What the job made of its images: masks, instance labels, object tables and GeoJSON; not its report and manifests, which say when and where.</summary>
    public IReadOnlyDictionary<string, byte[]> Results =>
        Files.Where(f => IsResult(f.Key)).ToDictionary(f => f.Key, f => f.Value);

    /// <summary>The folders an image's outputs go to.</summary>
    public static readonly IReadOnlyList<string> ResultFolders = ["masks/", "instances/", "objects/", "geojson/"];

    public static bool IsResult(string name) =>
        name is "objects.csv" or "objects.parquet" || ResultFolders.Any(folder => name.StartsWith(folder, StringComparison.Ordinal));

    public JobReport? Report =>
        Files.TryGetValue(JobReport.FileName, out var json) ? JobReport.FromJson(System.Text.Encoding.UTF8.GetString(json)) : null;
}

/// <summary>
/// One Azurite, the dataset uploaded to it, a small model on disk, and the reference: the job run once
/// on a single silo, which every cluster run must reproduce byte for byte.
/// </summary>
public sealed class IntegrationFixture : IAsyncLifetime
{
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(4);

    private readonly object _gate = new();
    private Task<JobOutcome>? _reference;

    /// <summary>Keeps its data on disk, so a test can stop it mid-job and start it again on the same ports.</summary>
    public PersistentAzuriteFixture Azurite { get; } = new();

    public string WorkFolder { get; } = Directory.CreateTempSubdirectory("unetpp-integration-").FullName;

    public string ModelPath => Path.Combine(WorkFolder, "small.onnx");

    public BlobContainerClient Data => new(Azurite.ConnectionString, Dataset.Container);

    /// <summary>Every test's silos: one inference thread each, and quick to notice a silo that was killed.</summary>
    public SiloClusterSetup Silos => new(Azurite.ConnectionString, Dataset.Container, WorkFolder, new Dictionary<string, string>
    {
        ["Inference__Threads"] = "1",
        ["Inference__PollInterval"] = "00:00:00.200",
        ["Inference__ShutdownGrace"] = "00:00:02",
        // A killed silo must be declared dead within seconds: probe every second, two misses, one vote.
        ["Cluster__Membership__ProbeTimeout"] = "00:00:01",
        ["Cluster__Membership__NumMissedProbesLimit"] = "2",
        ["Cluster__Membership__NumVotesForDeathDeclaration"] = "1",
        // Calls to a silo that just died fail within seconds instead of Orleans' default 30 s.
        ["Cluster__Messaging__ResponseTimeout"] = "00:00:10",
    });

    /// <summary>
    /// <see cref="Silos"/> for a test that crashes the whole cluster: the killed silos still read as active,
    /// and a joining silo skips those whose last sign of life is older than two of these, rather than
    /// waiting minutes to reach them.
    /// </summary>
    public SiloClusterSetup SilosForAWholeClusterCrash => Silos with
    {
        Settings = new Dictionary<string, string>(Silos.Settings)
        {
            ["Cluster__Membership__IAmAliveTablePublishTimeout"] = "00:00:02",
            ["Cluster__Membership__NumMissedTableIAmAliveLimit"] = "2",
        },
    };

    public async Task InitializeAsync()
    {
        await Azurite.InitializeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await Task.WhenAll(BuildModelAsync(timeout.Token), Dataset.UploadAsync(Azurite.ConnectionString, timeout.Token));
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_reference is { } reference)
            {
                await ((Task)reference).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            await Azurite.DisposeAsync();
            if (Environment.GetEnvironmentVariable("UNETPP_KEEP_LOGS") is not { Length: > 0 })
            {
                Directory.Delete(WorkFolder, recursive: true);
            }
        }
    }

    /// <summary>The job every test runs, to a different output.</summary>
    public JobSpec Spec(string output) => new()
    {
        Input = $"az://{Dataset.Container}/{Dataset.InputPrefix}",
        Output = $"az://{Dataset.Container}/{output}",
        Model = ModelPath,
        TileSize = 64,
        BatchSize = 4,
        ShardSize = 10,
        LeaseDuration = LeaseDuration,
        RegionPixels = Dataset.LargeWidth * Dataset.LargeHeight - 1,
        RegionSize = 128,

        // Objects are held to the masks' promise: every cluster run gives the one-silo run's files.
        Instances = true,
        Objects = true,
        GeoJson = true,
    };

    /// <summary>The job on one silo, run once for the whole collection.</summary>
    public Task<JobOutcome> ReferenceAsync()
    {
        lock (_gate)
        {
            return _reference ??= Task.Run(RunReferenceAsync);
        }
    }

    /// <summary>Submits the job and polls its status until it finishes, riding out calls that fail while a silo dies.</summary>
    public async Task<JobOutcome> RunJobAsync(
        SiloCluster cluster, string output, Func<JobStatus, Task<bool>>? onStatus, CancellationToken cancellationToken)
    {
        var jobId = SegmentationClient.NewJobId();
        var clock = Stopwatch.StartNew();
        var status = await cluster.Client.SubmitAsync(jobId, Spec(output));
        var watching = onStatus is not null;
        string? lastError = null;
        try
        {
            while (!status.IsFinished)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                try
                {
                    status = await cluster.Client.GetStatusAsync(jobId);
                    lastError = null;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // The job's silo may have just died; its grain comes back on another once the cluster notices.
                    lastError = ex.Message;
                    continue;
                }

                if (watching)
                {
                    watching = !await onStatus!(status);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Job {jobId} did not finish in time ({clock.Elapsed.TotalSeconds:F0} s): last status {Describe(status)}" +
                (lastError is null ? "" : $"; the last status call failed: {lastError}"));
        }

        clock.Stop();
        return new JobOutcome(status, await ReadOutputAsync(output, cancellationToken), clock.Elapsed, cluster.Logs());
    }

    public static string Describe(JobStatus status) =>
        $"{status.State}, {status.Done} done + {status.Failed} failed of {status.Total}, {status.InProgress} in progress, coordinator {status.Coordinator}" +
        (status.Error is null ? "" : $", error: {status.Error}");

    /// <summary>Every blob under an output prefix, by its name relative to the prefix.</summary>
    public async Task<IReadOnlyDictionary<string, byte[]>> ReadOutputAsync(string output, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var blob in Data.GetBlobsAsync(new GetBlobsOptions { Prefix = output + "/" }, cancellationToken))
        {
            names.Add(blob.Name);
        }

        var files = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            var content = await Data.GetBlobClient(name).DownloadContentAsync(ct);
            files[name[(output.Length + 1)..]] = content.Value.Content.ToArray();
        });
        return new SortedDictionary<string, byte[]>(files, StringComparer.Ordinal);
    }

    /// <summary>Deletes every blob under an output prefix: a campaign of hundreds of jobs keeps the store at one job's size.</summary>
    public async Task DeleteOutputAsync(string output, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var blob in Data.GetBlobsAsync(new GetBlobsOptions { Prefix = output + "/" }, cancellationToken))
        {
            names.Add(blob.Name);
        }

        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (name, ct) =>
            await Data.DeleteBlobIfExistsAsync(name, cancellationToken: ct));
    }

    private async Task<JobOutcome> RunReferenceAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var cluster = await SiloCluster.StartAsync(Silos, "it-one", silos: 1, deadline.Token);
        try
        {
            var outcome = await RunJobAsync(cluster, "out-one", onStatus: null, deadline.Token);
            await cluster.StopAsync();
            return outcome;
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"The one-silo reference run failed: {ex.Message}\n{cluster.Logs()}", ex);
        }
    }

    private async Task BuildModelAsync(CancellationToken cancellationToken)
    {
        TestTier.StartingProcess("the unetpp command line");
        var start = new ProcessStartInfo(RepoPaths.DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            RepoPaths.ClientDll, "model", "build", "--out", ModelPath, "--filters", "4,8,16,32,64", "--deep-supervision", "--tile-size", "64", "--seed", "7",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 || !File.Exists(ModelPath))
        {
            throw new InvalidOperationException($"unetpp model build exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class IntegrationGroup : ICollectionFixture<IntegrationFixture>
{
    public const string Name = "integration";
}
