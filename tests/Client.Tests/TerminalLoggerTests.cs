using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>A warning logged while a job's live progress bar is drawn comes out as one whole line above the bar, not through it.</summary>
public sealed partial class TerminalLoggerTests
{
    [Fact]
    public async Task AWarningDuringALiveBarIsOneCleanLineAboveIt()
    {
        using var screen = new StringWriter();
        var terminal = new Terminal(screen, TextWriter.Null, interactive: true);
        var console = terminal.Human();
        console.Profile.Capabilities.Ansi = true;
        console.Profile.Width = 120;
        var logs = JobProgressView.Logs(terminal, asJson: false);
        using var factory = LoggerFactory.Create(logging => logging.ForCommandLine(logs));
        var logger = factory.CreateLogger("UNetPP.Cluster.Grains.Workers.DeviceWorker");

        await console.Progress().StartAsync(async context =>
        {
            var bar = context.AddTask("job-1: 3/10");
            bar.Value = 30;
            context.Refresh();
            logger.LogWarning("Storage at {Location} answered after {Seconds} s", "az://images/plate-1", 12);
            bar.Value = 60;
            context.Refresh();
            await Task.Yield();
        });

        Assert.Same(console, logs);

        // Drawn live: the bar is redrawn in place with cursor movements.
        Assert.Contains("\u001b[", screen.ToString(), StringComparison.Ordinal);
        var shown = screen.ToString().Split('\n').Select(ShownText).ToList();
        Assert.Contains("warning: Storage at az://images/plate-1 answered after 12 s", shown);
        Assert.Contains(shown, line => line.Contains("job-1: 3/10", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutALiveBarLogLinesGoToStandardError()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var terminal = new Terminal(output, error, interactive: false);
        using var factory = LoggerFactory.Create(logging => logging.ForCommandLine(JobProgressView.Logs(terminal, asJson: false)));

        factory.CreateLogger("Orleans.Runtime").LogError("Silo [{Address}] stopped answering", "127.0.0.1:11111");

        Assert.Equal("", output.ToString());
        Assert.Equal("error: Silo [127.0.0.1:11111] stopped answering" + Environment.NewLine, error.ToString());
    }

    /// <summary>What a terminal shows on a line: escape sequences do not print, and a carriage return starts it over.</summary>
    private static string ShownText(string raw)
    {
        var text = Escapes().Replace(raw, "");
        return text[(text.LastIndexOf('\r') + 1)..].TrimEnd();
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Escapes();
}
