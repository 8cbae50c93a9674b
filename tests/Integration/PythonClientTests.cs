using System.Diagnostics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// The Python client as a notebook user runs it, on Debian's python3 with nothing from pip, against a real
/// silo process's HTTP port: its example submits a folder, follows the job's events to the end and reads
/// the report; the masks are those <c>unetpp segment</c> makes of the same folder on this machine.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(IntegrationGroup.Name)]
public sealed class PythonClientTests(IntegrationFixture fixture, ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    private static string ClientFolder => Path.Combine(RepoPaths.Root, "clients", "python");

    [Fact]
    public async Task TheExampleFollowsAFolderJobToItsEndAndItsMasksAreTheCommandLines()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var work = Path.Combine(fixture.WorkFolder, "python-" + Guid.NewGuid().ToString("N")[..8]);
        var images = Path.Combine(work, "images");
        Directory.CreateDirectory(images);
        var samples = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples", "nuclei", "images"));
        foreach (var sample in samples)
        {
            File.Copy(sample, Path.Combine(images, Path.GetFileName(sample)));
        }

        File.WriteAllText(Path.Combine(images, "broken.png"), "not a PNG");

        await using var cluster = await SiloCluster.StartAsync(fixture.Silos, "it-python", 1, deadline.Token);
        var (apiOutput, cliOutput) = (Path.Combine(work, "by-python"), Path.Combine(work, "by-cli"));
        var (exitCode, stdout, stderr) = await RunAsync(
            [Path.Combine(ClientFolder, "example.py"), images, apiOutput, "--url", $"http://127.0.0.1:{cluster.Silos[0].HttpPort}", "--id", "python-example"],
            deadline.Token);
        output.WriteLine(stdout + stderr);

        // One image cannot be read: the job completes with that failure, which the example says it saw.
        Assert.True(exitCode == 1, $"exit {exitCode}\n{stdout}\n{stderr}\n{cluster.Logs()}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("job python-example: ", lines[0], StringComparison.Ordinal);
        Assert.Single(lines, l => l.StartsWith("  failed broken.png: ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith($"  end: CompletedWithFailures, {samples.Length} done, 1 failed of {samples.Length + 1}", StringComparison.Ordinal));
        Assert.Equal($"report: {samples.Length} done, 1 failed; masks in {apiOutput}", lines[^1]);

        await using (var segment = CommandLineProcess.Start(["segment", images, "--out", cliOutput, "--threads", "1"]))
        {
            // Exit 1: an image failed, the same one.
            Assert.Equal(1, await segment.WaitForExitAsync(deadline.Token));
        }

        var byApi = Masks(apiOutput);
        Assert.Equal(samples.Length, byApi.Count);
        Assert.Equal(byApi.Keys.Order(StringComparer.Ordinal), Masks(cliOutput).Keys.Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in Masks(cliOutput))
        {
            Assert.True(bytes.AsSpan().SequenceEqual(byApi[name]), $"{name} differs between the API's job and segment's");
        }
    }

    [Fact]
    public async Task TheClientsOwnTestsPass()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var (exitCode, stdout, stderr) = await RunAsync(["-m", "unittest", "discover", "-s", ClientFolder], deadline.Token);
        output.WriteLine(stdout + stderr);
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("OK", stderr, StringComparison.Ordinal);
    }

    private static Dictionary<string, byte[]> Masks(string output) =>
        Directory.EnumerateFiles(Path.Combine(output, "masks"), "*.png", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(output, f), File.ReadAllBytes);

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        TestTier.StartingProcess("python3");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = ClientFolder };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No bytecode beside the client's source in the working tree.
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
