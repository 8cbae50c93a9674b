using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace UNetPP.Cluster.Client;

/// <summary>Log records as one line each (<c>warn: Category[id] message</c>) on a console the command chose.</summary>
internal sealed class TerminalLoggerProvider(IAnsiConsole console) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(console, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(IAnsiConsole console, string category) : ILogger
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
            var line = $"{Level(logLevel)}: {category}[{eventId.Id}] {message}{(exception is null ? "" : $" ({exception.Message})")}";

            // Text, not markup: a message may hold brackets.
            console.WriteLine(line.ReplaceLineEndings(" "));
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
