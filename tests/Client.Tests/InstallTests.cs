using System.Diagnostics;
using System.Reflection;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Client.Tests;

/// <summary><c>tools/install.sh</c> into a folder of its own: the installed programs run from there, without <c>dotnet run</c> or the repository's build.</summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class InstallTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TheInstalledProgramsRunFromThePrefix()
    {
        var prefix = _temp.File("prefix");
        var install = await RunAsync("bash", Path.Combine(RepoPaths.Root, "tools", "install.sh"), "--prefix", prefix, "unetpp", "unetpp-silo");
        Assert.True(install.ExitCode == 0, install.Text);

        var version = await RunAsync(Path.Combine(prefix, "bin", "unetpp"), "--version");
        var built = typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.True(version.ExitCode == 0, version.Text);
        Assert.Equal(built, version.Output.Trim());

        var silo = await RunAsync(Path.Combine(prefix, "bin", "unetpp-silo"), "--help");
        Assert.True(silo.ExitCode == 0, silo.Text);
        Assert.Contains("Usage: unetpp-silo", silo.Output, StringComparison.Ordinal);

        // The installed copy is what ran, not the repository's build.
        Assert.True(File.Exists(Path.Combine(prefix, "unetpp", "unetpp.dll")));
        Assert.Contains(Path.Combine(prefix, "unetpp", "unetpp.dll"), await File.ReadAllTextAsync(Path.Combine(prefix, "bin", "unetpp")), StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Text)> RunAsync(string program, params string[] arguments)
    {
        TestTier.StartingProcess(Path.GetFileName(program));
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, $"{program} exited {process.ExitCode}\n{await output}\n{await error}");
    }
}
