using System.Runtime.InteropServices;

namespace UNetPP.Cluster.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM, owned by the program alone: the first asks the running command to
/// stop (its token), so it can keep what is finished and leave nothing partial; a second one stops
/// the program at once. Hosts built inside a command must not take these signals themselves.
/// </summary>
public sealed class Interrupts : IDisposable
{
    private readonly CancellationTokenSource requested = new();
    private readonly TextWriter error;
    private readonly PosixSignalRegistration interrupt;
    private readonly PosixSignalRegistration terminate;
    private int received;

    private Interrupts(TextWriter error)
    {
        this.error = error;
        interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first Ctrl-C or SIGTERM.</summary>
    public CancellationToken Token => requested.Token;

    /// <summary>Takes Ctrl-C and SIGTERM for this program until disposed; <paramref name="error"/> is where "interrupted." goes on a second one.</summary>
    public static Interrupts Listen(TextWriter error) => new(error);

    public void Dispose()
    {
        interrupt.Dispose();
        terminate.Dispose();
        requested.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // The runtime's own reaction would end the process before the command has stopped cleanly.
        context.Cancel = true;
        if (Interlocked.Increment(ref received) == 1)
        {
            requested.Cancel();
            return;
        }

        // Asked twice: the user will not wait for the clean stop.
        error.WriteLine("interrupted.");
        error.Flush();
        Environment.Exit(ExitCodes.Interrupted);
    }
}
