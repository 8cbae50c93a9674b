using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace UNetPP.Cluster.Client;

internal static class CliLogging
{
    /// <summary>
    /// Warnings and worse, one line each, through <paramref name="console"/>: the console a live
    /// progress bar draws on, which writes the line above the bar and redraws the bar below it, or a
    /// plain one on stderr, so a command's stdout stays clean for <c>--json</c> and pipes.
    /// </summary>
    public static ILoggingBuilder ForCommandLine(this ILoggingBuilder logging, IAnsiConsole console)
    {
        logging.ClearProviders();
        logging.AddProvider(new TerminalLoggerProvider(console));
        logging.SetMinimumLevel(LogLevel.Warning);
        return logging;
    }
}
