namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// The waits between tries at something that does not answer: 1 s, doubling up to 15 s, until the
/// tolerance is spent. One per operation that retries.
/// </summary>
internal sealed class OutageBackoff(TimeSpan tolerance, TimeProvider clock)
{
    private TimeSpan _waited;

    /// <summary>The next wait.</summary>
    public TimeSpan Pause { get; private set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether the tolerance leaves room for another wait.</summary>
    public bool CanWait => _waited < tolerance;

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Pause, clock, cancellationToken);
        _waited += Pause;
        Pause = TimeSpan.FromSeconds(Math.Min(Pause.TotalSeconds * 2, 15));
    }
}
