using System.Diagnostics;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>Runs the command-line tools some checks need; a missing tool fails the test with how to install it.</summary>
internal static class Tools
{
    /// <summary>Runs promtool (Debian's prometheus package) and returns its exit code and output.</summary>
    public static (int ExitCode, string Output) Promtool(params string[] arguments)
    {
        TestTier.StartingProcess("promtool");
        var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"promtool is not installed ({ex.Message}); run the tests with ./test.sh, which installs it, or install it with `apt-get install prometheus`.", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
            {
                process.Kill();
                throw new TimeoutException($"promtool {string.Join(' ', arguments)} did not finish within a minute.");
            }

            return (process.ExitCode, output.Result + error.Result);
        }
    }
}
