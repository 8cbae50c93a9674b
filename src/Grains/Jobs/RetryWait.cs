namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// How long a job waits before it tries again a step that storage or another grain refused: 2 s, doubling
/// up to a minute while the step keeps failing, and 2 s again once it succeeds.
/// </summary>
internal sealed class RetryWait
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Longest = TimeSpan.FromMinutes(1);

    public TimeSpan Current { get; private set; } = First;

    public void Lengthen() => Current = TimeSpan.FromTicks(Math.Min(Current.Ticks * 2, Longest.Ticks));

    public void Reset() => Current = First;
}
