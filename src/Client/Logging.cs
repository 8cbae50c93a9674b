using Microsoft.Extensions.Logging;

namespace UNetPP.Cluster.Client;

internal static class Logging
{
    /// <summary>One line per event, all on stderr, so stdout stays clean for <c>--json</c> and pipes.</summary>
    public static ILoggerFactory CreateFactory() => LoggerFactory.Create(logging =>
    {
        logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(LogLevel.Information);
    });
}
