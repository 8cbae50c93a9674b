using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Silo;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp segment</c>: one command from images to masks. It starts a silo inside this process
/// (localhost clustering, state in memory, the chosen device) and runs the job through the same
/// grains and workers a real cluster uses: there is one job path, not two.
/// </summary>
internal sealed class SegmentCommand : Command
{
    /// <summary>How long an interrupted run waits for the images in flight: a person pressed Ctrl-C and is waiting.</summary>
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopPoll = TimeSpan.FromMilliseconds(100);

    private readonly JobSpecOptions job = new();
    private readonly Option<string> device = new("--device")
    {
        Description = "auto, cpu or cuda:N. cuda:N runs on that GPU or stops with what failed to load; auto takes cuda:0 when CUDA works there, else the CPU with a warning.",
        DefaultValueFactory = _ => "cpu",
    };
    private readonly Option<int> threads = new("--threads") { Description = "CPU threads per operator (0 = all cores).", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> json = new("--json") { Description = "Print the report as JSON on stdout; human text goes to stderr." };
    private readonly BlobConnectionOption blobConnection = new();

    public SegmentCommand(Terminal terminal)
        : base("segment", "Segment an image or a folder of images on this machine, through an embedded one-silo cluster that runs this one job alone (--priority is for submit, to order jobs on a shared cluster).")
    {
        job.AddTo(this);
        Options.Add(device);
        Options.Add(threads);
        Options.Add(json);
        blobConnection.AddTo(this);
        SetAction((parse, ct) => RunAsync(parse, terminal, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var asJson = parse.GetValue(json);
        var console = terminal.Human(asJson);
        var live = terminal.Interactive && !asJson;
        var spec = job.Request(parse).ToSpec();
        var deviceChoice = OptionValue.Read("--device", parse.GetRequiredValue(device), DeviceChoice.Parse);
        var threadCount = parse.GetValue(threads);
        if (threadCount < 0)
        {
            throw new UsageException($"--threads {threadCount}: use 0 (all cores) or a positive count.");
        }

        using var host = BuildEmbeddedSilo(deviceChoice, threadCount, spec.BatchSize, blobConnection.Read(parse), JobProgressView.Logs(terminal, asJson));
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (DeviceUnavailableException ex)
        {
            throw new UsageException($"--device {ex.Message}");
        }

        var workers = host.Services.GetRequiredService<DeviceWorkers>();
        var runsOn = string.Join(", ", workers.Devices);
        try
        {
            // The model opens while the job is planned and leased, not after its first lease.
            workers.Prepare(spec);
            var client = new SegmentationClient(host.Services.GetRequiredService<IGrainFactory>());
            var jobId = SegmentationClient.NewJobId();
            await client.SubmitAsync(jobId, spec);

            // Said once the job is accepted: a refused one prints only why.
            console.MarkupLineInterpolated($"Segmenting {StorageLocation.RedactSignature(spec.Input)} with {(spec.Model is null ? "the built-in model" : StorageLocation.RedactSignature(spec.Model))}, mode {spec.Mode}{(spec.Tta ? " with test-time augmentation" : "")}, on {runsOn} (job {jobId}).");
            if (JobSpecOptions.LeftOut(spec) is { } leftOut)
            {
                console.WriteLine(leftOut);
            }

            var view = new JobProgressView(console, live);
            JobStatus status;
            var interrupted = false;
            try
            {
                status = await view.WatchAsync(client, jobId, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                interrupted = true;
                status = await StopJobAsync(client, jobId);
            }

            var report = ReadReport(spec.Output);
            view.Summarise(status, report);
            if (interrupted && status.Started is null)
            {
                console.WriteLine("Interrupted while the job was being planned: no image was segmented.");
            }
            else if (interrupted)
            {
                console.MarkupLineInterpolated(
                    $"Interrupted: {status.Done} of {status.Total} image(s) were done, and their masks stay in {StorageLocation.RedactSignature(spec.Output)}; the rest were not segmented.");
            }

            if (asJson && report is not null)
            {
                await terminal.Output.WriteLineAsync(report.ToJson());
            }

            if (interrupted)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            return JobProgressView.ExitCode(status);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Cancels the job in the embedded cluster, as <c>unetpp cancel</c> would: leasing stops, the images in
    /// flight are finished and counted. Waits a few seconds for it to end; its status as it then stands.
    /// </summary>
    private static async Task<JobStatus> StopJobAsync(SegmentationClient client, string jobId)
    {
        var status = await client.CancelAsync(jobId);
        using var patience = new CancellationTokenSource(StopPatience);
        try
        {
            await foreach (var next in client.WatchAsync(jobId, StopPoll, patience.Token))
            {
                status = next;
            }
        }
        catch (OperationCanceledException) when (patience.IsCancellationRequested)
        {
            // Still draining: the summary says what was done by now, and stopping the silo hands back the rest.
        }

        return status;
    }

    /// <summary>A one-silo cluster in this process on free loopback ports, so it never meets a real cluster on this machine.</summary>
    private static IHost BuildEmbeddedSilo(DeviceChoice device, int threads, int? batch, string? blobConnection, IAnsiConsole logs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        var ports = FreePorts();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Id"] = "unetpp-embedded",
            ["Cluster:Clustering"] = nameof(ClusteringKind.Localhost),
            ["Cluster:SiloPort"] = $"{ports.Silo}",
            ["Cluster:GatewayPort"] = $"{ports.Gateway}",
            ["Inference:Devices"] = device.ToString(),
            ["Inference:Threads"] = $"{threads}",
            ["Inference:BatchSize"] = $"{batch ?? 4}",
            ["Inference:PollInterval"] = "00:00:00.100",
            ["Storage:BlobConnection"] = blobConnection,
        });
        // The device line is worth a person's attention too: it says where inference runs and why.
        builder.Logging.ForCommandLine(logs);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.Logging.AddFilter("UNetPP.Cluster.Grains.Workers", LogLevel.Information);

        // A host that cannot start says why in the command's own one-line error, not as a logged stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.AddSegmentationSilo();
        return builder.Build();
    }

    /// <summary>Two different free loopback ports: both are held while asking, since one freed port is often handed out again next.</summary>
    private static (int Silo, int Gateway) FreePorts()
    {
        using var silo = new TcpListener(IPAddress.Loopback, 0);
        using var gateway = new TcpListener(IPAddress.Loopback, 0);
        silo.Start();
        gateway.Start();
        return (((IPEndPoint)silo.LocalEndpoint).Port, ((IPEndPoint)gateway.LocalEndpoint).Port);
    }

    private static JobReport? ReadReport(string output)
    {
        var path = Path.Combine(output, JobReport.FileName);
        return output.Contains("://", StringComparison.Ordinal) || !File.Exists(path) ? null : JobReport.FromJson(File.ReadAllText(path));
    }
}
