using UNetPP.Cluster.Training.CommandLine;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>What one in-process run of <c>unetpp-train</c> returned and wrote.</summary>
internal sealed record TrainCliResult(int ExitCode, string Output, string Error);

/// <summary>Runs <c>unetpp-train</c> in-process, as a script would see it: not interactive, stdout and stderr captured.</summary>
internal static class TrainCliRunner
{
    public static async Task<TrainCliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await TrainCommandLine.RunAsync(args, new Terminal(output, error, interactive: false));
        return new TrainCliResult(exitCode, output.ToString(), error.ToString());
    }
}
