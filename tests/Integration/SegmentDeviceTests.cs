using System.Diagnostics;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// <c>unetpp segment --device</c> as a person runs it, as a process with its own console, on a machine
/// without CUDA (like CI): what reaches the terminal is one line saying what failed, or one warning.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class SegmentDeviceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("unetpp-segment-device-").FullName;

    private static string Image => Path.Combine(RepoPaths.Root, "samples", "nuclei", "images", "field-000.png");

    [Fact]
    public async Task CudaThatCannotLoadIsOneErrorLineExitTwoAndNoOutput()
    {
        var output = Path.Combine(_folder, "out");

        var (code, stdout, stderr) = await SegmentAsync(output, "cuda:0");

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(Lines(stderr));
        Assert.Matches(@"^error: --device cuda:0 cannot be used: ONNX Runtime's CUDA provider needs lib\w+\.so[\d.]* \([^)]+\), which is not installed \(or not on LD_LIBRARY_PATH\)$", line);
        Assert.False(Directory.Exists(output), "nothing was started, so nothing was written");
    }

    [Fact]
    public async Task AutoRunsOnTheCpuWithOneWarningAndSaysCpu()
    {
        var output = Path.Combine(_folder, "out");

        var (code, stdout, stderr) = await SegmentAsync(output, "auto");

        Assert.True(code == 0, stderr);
        var warning = Assert.Single(Lines(stderr), l => l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.Contains("Inference device auto is cpu: cuda:0 cannot be used: ONNX Runtime's CUDA provider needs lib", warning, StringComparison.Ordinal);
        Assert.Contains(", on cpu (job ", Lines(stdout)[0], StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "masks", "field-000.png")));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<(int Code, string Stdout, string Stderr)> SegmentAsync(string output, string device)
    {
        TestTier.StartingProcess("the unetpp command line");
        var start = new ProcessStartInfo(RepoPaths.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { RepoPaths.ClientDll, "segment", Image, "--out", output, "--device", device, "--threads", "1" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
