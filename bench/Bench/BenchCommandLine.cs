using System.CommandLine;

namespace UNetPP.Cluster.Bench;

internal static class BenchCommandLine
{
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("UNetPP.Cluster benchmarks and benchmark data.")
        {
            SamplesCommand.Create(),
            RunCommand.Create(),
            QualityCommand.Create(),
        };
        return root.Parse(args).InvokeAsync();
    }
}
