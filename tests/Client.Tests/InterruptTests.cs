using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// A real <c>unetpp segment</c> process stopped with real signals mid-run, as a person at a terminal
/// (Ctrl-C) or a scheduler (SIGTERM) stops it: it exits 130, keeps every finished mask whole and
/// leaves nothing partial, and its report says what was done.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class InterruptTests(InterruptTests.Nuclei nuclei) : IClassFixture<InterruptTests.Nuclei>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task TheFirstSignalStopsSegmentCleanly(string signal)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var output = _temp.File("out");
        await using var run = CommandLineProcess.Start(["segment", nuclei.Images, "--out", output, "--threads", "1"]);
        await WaitForFirstMaskAsync(run, output, deadline.Token);

        await run.SignalAsync(signal);
        var exitCode = await run.WaitForExitAsync(deadline.Token);

        Assert.True(exitCode == ExitCodes.Interrupted, $"exit {exitCode}\n{run.Describe()}");
        Assert.Contains("interrupted.", run.Error, StringComparison.Ordinal);
        Assert.Contains("Interrupted:", run.Output, StringComparison.Ordinal);
        Assert.Empty(TemporaryFiles(output));
        var masks = Masks(output);
        Assert.InRange(masks.Count, 1, Nuclei.Count - 1);
        foreach (var mask in masks)
        {
            // A mask cut short would not decode to the end.
            using var image = Image.NewFromBuffer(File.ReadAllBytes(mask));
            Assert.Equal(256, image.Width);
            image.Avg();
        }

        var report = JobReport.FromJson(File.ReadAllText(Path.Combine(output, JobReport.FileName)));
        Assert.Equal(JobState.Cancelled, report.State);
        Assert.Equal(masks.Count, report.Counts.Done);
    }

    [Fact]
    public async Task ASecondCtrlCStopsSegmentAtOnce()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var output = _temp.File("out");

        // Batches of 32 on one thread take seconds each, so the clean stop that the first Ctrl-C starts
        // (it finishes the batch in flight) is still going when the second arrives.
        await using var run = CommandLineProcess.Start(["segment", nuclei.Images, "--out", output, "--threads", "1", "--batch", "32"]);
        await WaitForFirstMaskAsync(run, output, deadline.Token);

        await run.SignalAsync("INT");
        await run.SignalAsync("INT");
        var exitCode = await run.WaitForExitAsync(deadline.Token);

        Assert.True(exitCode == ExitCodes.Interrupted, $"exit {exitCode}\n{run.Describe()}");
        Assert.Contains("interrupted.", run.Error, StringComparison.Ordinal);

        // The clean stop's summary comes after the job has ended; a second Ctrl-C does not wait for it.
        Assert.DoesNotContain("Interrupted:", run.Output, StringComparison.Ordinal);
    }

    private static async Task WaitForFirstMaskAsync(CommandLineProcess run, string output, CancellationToken cancellationToken)
    {
        while (Masks(output).Count == 0)
        {
            if (run.HasExited)
            {
                throw new InvalidOperationException($"unetpp exited before it wrote a mask.\n{run.Describe()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static List<string> Masks(string output)
    {
        var folder = Path.Combine(output, "masks");
        return Directory.Exists(folder)
            ? [.. Directory.EnumerateFiles(folder, "*.png", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.'))]
            : [];
    }

    private static List<string> TemporaryFiles(string output) =>
        [.. Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".tmp", StringComparison.Ordinal) || f.EndsWith(".unetpp-tmp", StringComparison.Ordinal))];

    /// <summary>Synthetic nuclei, 256² each: enough that a run on one thread is still going when it is stopped.</summary>
    public sealed class Nuclei : IDisposable
    {
        private readonly TempFolder _temp = new();

        public Nuclei()
        {
            SyntheticNuclei.Write(_temp.Path, Count, 256, 256, seed: 5);
            Images = Path.Combine(_temp.Path, "images");
        }

        public const int Count = 120;

        public string Images { get; }

        public void Dispose() => _temp.Dispose();
    }
}
