namespace UNetPP.Cluster.Processes;

/// <summary>
/// The two test tiers. <c>./test.sh --fast</c> runs every test that starts no process of its own
/// (<c>--filter "Category!=External"</c>); <c>./test.sh</c> runs them all. A test class (or method) that
/// starts one — Azurite, a silo or the command line as a process, Prometheus, promtool, Chromium — is
/// marked <c>[Trait(TestTier.Category, TestTier.External)]</c>.
/// </summary>
public static class TestTier
{
    public const string Category = "Category";

    public const string External = "External";

    /// <summary>Set to <c>fast</c> by <c>./test.sh --fast</c>: starting a process then fails the test.</summary>
    public const string Variable = "UNETPP_TEST_TIER";

    /// <summary>
    /// Called by everything in the tests that starts a process, just before it does: in the fast tier
    /// that fails at once, so a test that should have been marked external says so instead of
    /// slowing the inner loop or needing a tool the fast tier does not install.
    /// </summary>
    /// <param name="what">The process, as the developer knows it (<c>Azurite</c>, <c>promtool</c>).</param>
    public static void StartingProcess(string what)
    {
        if (Refusal(what, Environment.GetEnvironmentVariable(Variable)) is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }
    }

    /// <summary>Why <paramref name="what"/> may not start in tier <paramref name="tier"/>, or null where it may.</summary>
    public static string? Refusal(string what, string? tier) =>
        string.Equals(tier, "fast", StringComparison.Ordinal)
            ? $"This test starts {what}, an external process, in the fast tier ({Variable}=fast, ./test.sh --fast), which runs " +
              $"in-process tests only. Mark its class, or the test method, [Trait(TestTier.Category, TestTier.External)] " +
              "(tests/Processes/TestTier.cs) so that only the whole suite, ./test.sh, runs it."
            : null;
}
