using System.Diagnostics;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>Waits for something a process does in its own time: a scrape, a span, a series gone stale.</summary>
internal static class Condition
{
    /// <summary>Checks <paramref name="condition"/> every 250 ms until it holds; after 60 s, fails naming <paramref name="what"/>.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Waited 60 s for {what}.");
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
