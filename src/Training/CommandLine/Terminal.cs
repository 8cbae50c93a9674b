using Spectre.Console;

namespace UNetPP.Cluster.Training.CommandLine;

/// <summary>Where <c>unetpp-train</c> writes: progress and results to stdout, errors to stderr. Tests pass their own writers.</summary>
internal sealed class Terminal(TextWriter output, TextWriter error, bool interactive)
{
    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>Whether a person is watching: a live progress bar instead of one line per epoch.</summary>
    public bool Interactive { get; } = interactive;

    public static Terminal FromConsole() =>
        new(Console.Out, Console.Error, !Console.IsErrorRedirected && !Console.IsOutputRedirected);

    /// <summary>The console for human-readable text, on <see cref="Output"/>.</summary>
    public IAnsiConsole Human()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Output),
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
