namespace UNetPP.Cluster.Client.Tests;

/// <summary>What one in-process run of the command line returned and wrote.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error);

/// <summary>Runs <c>unetpp</c> in-process, as a script would see it: not interactive, stdout and stderr captured.</summary>
internal static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CommandLine.RunAsync(args, new Terminal(output, error, interactive: false));
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}

/// <summary>A folder under the system temp folder that is deleted with everything in it when disposed.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "unetpp-client-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
