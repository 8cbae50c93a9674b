using Microsoft.Extensions.Hosting;

namespace UNetPP.Cluster.Client;

/// <summary>
/// The lifetime of a host built inside a command (the embedded silo, the cluster client): it starts and
/// stops when the command says. The default console lifetime would take Ctrl-C and SIGTERM to stop the
/// host alone, and the command, which owns those signals (<see cref="Interrupts"/>), would never hear them.
/// </summary>
internal sealed class CommandLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
