using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace UNetPP.Cluster.Client;

/// <summary>
/// Log records as one line each on a console the command chose, in a person's words: <c>warning: …</c>,
/// <c>error: …</c>, or the bare message for news. Which class logged it is of no use to the person reading.
/// </summary>
internal sealed class TerminalLoggerProvider(IAnsiConsole console) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(console);

    public void Dispose()
    {
    }

    private sealed class Logger(IAnsiConsole console) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            var line = $"{Level(logLevel)}{message}{(exception is null ? "" : $" ({exception.Message})")}";

            // Text, not markup: a message may hold brackets.
            console.WriteLine(line.ReplaceLineEndings(" "));
        }

        private static string Level(LogLevel level) => level switch
        {
            <= LogLevel.Information => "",
            LogLevel.Warning => "warning: ",
            _ => "error: ",
        };
    }
}
