using System.CommandLine;

namespace UNetPP.Cluster.Bench;

internal static class BenchCommandLine
{
    /// <summary>Exit code after Ctrl-C or SIGTERM, as a shell reports a process that SIGINT ended.</summary>
    public const int Interrupted = 130;

    /// <summary>Exit code for a bad option, as the command line parser gives.</summary>
    public const int Usage = 2;

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("UNetPP.Cluster benchmarks and benchmark data.")
        {
            SamplesCommand.Create(),
            RunCommand.Create(),
            QualityCommand.Create(),
            InstancesCommand.Create(),
            ObjectCostCommand.Create(),
            TiledReadsCommand.Create(),
            GpuCommand.Create(),
            OrtSettingsCommand.Create(),
        };

        // Ctrl-C and SIGTERM cancel the command's token, so that it stops the silo and Azurite processes it
        // started; this is how long it gets before the process ends (whatever is left is killed on exit).
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) };
        return root.Parse(args).InvokeAsync(invocation);
    }
}
