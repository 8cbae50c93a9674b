using Microsoft.Extensions.Logging;

namespace UNetPP.Cluster.Client;

internal static class CliLogging
{
    /// <summary>
    /// Warnings and worse, one line each, all on stderr: a command's stdout stays clean for
    /// <c>--json</c> and pipes, and a person sees real problems rather than the cluster's chatter.
    /// </summary>
    public static ILoggingBuilder ForCommandLine(this ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(LogLevel.Warning);
        return logging;
    }
}
