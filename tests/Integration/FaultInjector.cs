using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// Does to a cluster and its storage path what a schedule's faults say, and afterwards puts the cluster
/// back to health: storage answering, no silo frozen or hung, no watcher left, <c>healthySilos</c> silos live.
/// </summary>
/// <param name="clusterStorage">The connection string a watching client finds the cluster's gateways with (Azurite's own, not the proxy's).</param>
public sealed class FaultInjector(SiloCluster cluster, StorageProxy proxy, string clusterStorage, int healthySilos) : IAsyncDisposable
{
    /// <summary>How long a hung device's silo takes to call it hung: short, so the campaign's jobs move on.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(3);

    // A silo that joins reconnects the cluster's client: one join at a time.
    private readonly SemaphoreSlim _joining = new(1, 1);
    private readonly List<Task> _pending = [];
    private readonly List<SiloProcess> _hung = [];
    private readonly List<SiloProcess> _stopping = [];
    private readonly List<CommandLineProcess> _watchers = [];

    /// <summary>
    /// Injects <paramref name="fault"/> now, into the job that <paramref name="status"/> last described; what
    /// ends it later (a replacement silo, a resume, a client's exit) runs on in the background. Returns
    /// what was done, naming the silo; null when the fault names a silo and none is healthy (all killed, their replacements starting).
    /// </summary>
    public async Task<string?> InjectAsync(Fault fault, int seed, JobStatus status, CancellationToken cancellationToken)
    {
        switch (fault.Kind)
        {
            case FaultKind.Kill:
            {
                if (Target(fault, status) is not { } victim)
                {
                    return null;
                }

                victim.Kill();
                Later(fault.Duration, () => ReplaceAsync(cancellationToken), cancellationToken);
                return $"SIGKILL {Describe(victim, status)}";
            }

            case FaultKind.Term:
            {
                if (Target(fault, status) is not { } victim)
                {
                    return null;
                }

                lock (_stopping)
                {
                    _stopping.Add(victim);
                }

                var stopping = victim.StopAsync(TimeSpan.FromSeconds(20));
                Later(fault.Duration, async () =>
                {
                    await ReplaceAsync(cancellationToken);
                    await stopping;
                }, cancellationToken);
                return $"SIGTERM {Describe(victim, status)}";
            }

            case FaultKind.StorageOutage:
                proxy.CutOff(fault.Duration);
                return $"storage cut off for {fault.Duration.TotalSeconds:F1} s";

            case FaultKind.SlowStorage:
                proxy.SlowDown(fault.Latency, fault.ResetChance, fault.Duration, seed);
                return $"storage slowed for {fault.Duration.TotalSeconds:F1} s";

            case FaultKind.HungDevice:
                Later(TimeSpan.Zero, () => JoinAsync(
                    new Dictionary<string, string>
                    {
                        ["Faults__StallAfterBatches"] = fault.HealthyRuns.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["Inference__StallTimeout"] = StallTimeout.ToString(),
                    },
                    RepoPaths.FaultySiloDll,
                    cancellationToken), cancellationToken);
                return "a silo whose device hangs joins";

            case FaultKind.LeaseExpiry:
            {
                if (Target(fault, status) is not { } victim)
                {
                    return null;
                }

                await victim.PauseAsync();
                Later(fault.Duration, victim.ResumeAsync, cancellationToken);
                return $"SIGSTOP {Describe(victim, status)}";
            }

            case FaultKind.ClientGone:
            {
                var watcher = CommandLineProcess.Start(
                    ["watch", status.JobId, "--cluster-id", cluster.Id],
                    new Dictionary<string, string> { ["UNETPP_CLUSTER_STORAGE"] = clusterStorage });
                lock (_watchers)
                {
                    _watchers.Add(watcher);
                }

                Later(fault.Duration, async () =>
                {
                    if (fault.Killed)
                    {
                        await watcher.DisposeAsync();
                    }
                    else if (!watcher.HasExited)
                    {
                        await watcher.SignalAsync("INT");
                    }
                }, cancellationToken);
                return "unetpp watch started";
            }

            default:
                throw new InvalidOperationException($"No way to inject {fault.Kind}.");
        }
    }

    /// <summary>Ends every fault still going and brings the cluster back to <c>healthySilos</c> healthy silos.</summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        proxy.Heal();
        await Task.WhenAll(Drain());
        foreach (var silo in cluster.Silos.Where(s => !s.HasExited))
        {
            // A silo frozen by a fault that the job outlived: let it run (and find out it was declared dead, perhaps).
            await silo.ResumeAsync();
        }

        foreach (var silo in Drain(_hung))
        {
            silo.Kill();
        }

        Drain(_stopping);

        foreach (var watcher in Drain(_watchers))
        {
            await watcher.DisposeAsync();
        }

        // A resumed silo that the cluster had declared dead stops itself; let it, before counting the live ones.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        while (Healthy().Count < healthySilos)
        {
            await ReplaceAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Drain()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var watcher in Drain(_watchers))
        {
            await watcher.DisposeAsync();
        }

        _joining.Dispose();
    }

    private static List<T> Drain<T>(List<T> items)
    {
        lock (items)
        {
            var drained = items.ToList();
            items.Clear();
            return drained;
        }
    }

    private List<Task> Drain() => Drain(_pending);

    /// <summary>The live silo the fault names: the coordinator of the job, or one by start order; never one already stopping, nor a hung one, which the schedule put there itself.</summary>
    private SiloProcess? Target(Fault fault, JobStatus status)
    {
        var live = Healthy();
        if (live.Count == 0)
        {
            return null;
        }

        return fault.Target == Fault.Coordinator && live.FirstOrDefault(s => s.Endpoint == status.Coordinator) is { } coordinator
            ? coordinator
            : live[Math.Max(fault.Target, 0) % live.Count];
    }

    /// <summary>Silos running that no fault is stopping and whose device works (a frozen one counts: it comes back).</summary>
    private List<SiloProcess> Healthy()
    {
        List<SiloProcess> faulty;
        lock (_hung)
        {
            faulty = [.. _hung];
        }

        lock (_stopping)
        {
            faulty.AddRange(_stopping);
        }

        return [.. cluster.Silos.Where(s => !s.HasExited && !faulty.Contains(s))];
    }

    private static string Describe(SiloProcess silo, JobStatus status) =>
        silo.Endpoint == status.Coordinator ? $"{silo.Name} (coordinator)" : silo.Name;

    private void Later(TimeSpan delay, Func<Task> action, CancellationToken cancellationToken)
    {
        var task = Task.Run(async () =>
        {
            await Task.Delay(delay, cancellationToken);
            await action();
        }, cancellationToken);
        lock (_pending)
        {
            _pending.Add(task);
        }
    }

    /// <summary>A new silo in place of one that a fault took away, unless another replacement already made up the number.</summary>
    private Task ReplaceAsync(CancellationToken cancellationToken) => JoinAsync(null, null, cancellationToken, onlyIfShort: true);

    /// <summary>
    /// Starts a silo, and starts it again when it exits while starting, as its supervisor would: a silo that
    /// finds storage gone while it joins stops, and is only started again once storage answers.
    /// </summary>
    private async Task<SiloProcess> StartAsync(IReadOnlyDictionary<string, string>? settings, string? program, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await cluster.AddSiloAsync(cancellationToken, settings, program);
            }
            catch (InvalidOperationException ex) when (attempt < 10 && ex.Message.Contains("exited with code", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            }
        }
    }

    private async Task JoinAsync(IReadOnlyDictionary<string, string>? settings, string? program, CancellationToken cancellationToken, bool onlyIfShort = false)
    {
        await _joining.WaitAsync(cancellationToken);
        try
        {
            if (onlyIfShort && Healthy().Count >= healthySilos)
            {
                return;
            }

            var silo = await StartAsync(settings, program, cancellationToken);
            if (program is not null)
            {
                lock (_hung)
                {
                    _hung.Add(silo);
                }
            }
        }
        finally
        {
            _joining.Release();
        }
    }
}
