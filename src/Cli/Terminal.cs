using Spectre.Console;

namespace UNetPP.Cluster.Cli;

/// <summary>
/// Where a command line writes: human text to stdout, or to stderr when <c>--json</c> puts
/// machine-readable results on stdout. Tests pass their own writers.
/// </summary>
public sealed class Terminal(TextWriter output, TextWriter error, bool interactive)
{
    private IAnsiConsole? human;
    private IAnsiConsole? humanOnError;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>Whether a person is watching: live progress bars instead of plain lines.</summary>
    public bool Interactive { get; } = interactive;

    public static Terminal FromConsole() =>
        new(Console.Out, Console.Error, !Console.IsErrorRedirected && !Console.IsOutputRedirected);

    /// <summary>
    /// The console for human-readable text; the same one on every call, so that lines written while it
    /// shows a live progress bar (log lines, say) are drawn above the bar rather than through it.
    /// </summary>
    /// <param name="json">Whether stdout carries machine-readable results, so people's text goes to stderr.</param>
    public IAnsiConsole Human(bool json = false) =>
        json ? humanOnError ??= Create(Error) : human ??= Create(Output);

    private IAnsiConsole Create(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!Interactive)
        {
            // Logs and pipes have no width: a line split at 80 columns only breaks greps and long paths.
            console.Profile.Width = 4096;
        }

        return console;
    }
}
