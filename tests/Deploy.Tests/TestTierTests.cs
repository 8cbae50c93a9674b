using System.Text.RegularExpressions;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// The fast tier (<c>./test.sh --fast</c>) leaves out the tests marked external, and every place in the
/// tests that starts a process first asks <see cref="TestTier"/>, so an unmarked one fails there at once.
/// </summary>
public sealed partial class TestTierTests
{
    [Fact]
    public void EverySourceFileInTheTestsThatStartsAProcessAsksTheTierFirst()
    {
        var starting = Repo.FilesUnder("tests", ".cs")
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Where(f => f != "tests/Deploy.Tests/TestTierTests.cs") // names the patterns, starts nothing
            .Where(f => StartsAProcess().IsMatch(Repo.Read(f)))
            .ToList();

        Assert.True(starting.Count >= 8, $"found only {starting.Count} test files that start processes: {string.Join(", ", starting)}");
        Assert.All(starting, f => Assert.True(
            Repo.Read(f).Contains("TestTier.StartingProcess(", StringComparison.Ordinal),
            $"{f} starts a process without calling TestTier.StartingProcess first (tests/Processes/TestTier.cs)."));
    }

    [Fact]
    public void TheFastTierFiltersOutExternalTestsAndTellsTheHelpers()
    {
        var script = Repo.Read("test.sh");

        Assert.Contains($"{TestTier.Category}!={TestTier.External}", script, StringComparison.Ordinal);
        Assert.Contains($"export {TestTier.Variable}=fast", script, StringComparison.Ordinal);
    }

    [Fact]
    public void InTheFastTierAProcessIsRefusedNamingWhatToMark()
    {
        var refusal = TestTier.Refusal("Azurite", "fast");

        Assert.NotNull(refusal);
        Assert.Contains("starts Azurite", refusal, StringComparison.Ordinal);
        Assert.Contains("[Trait(TestTier.Category, TestTier.External)]", refusal, StringComparison.Ordinal);
        Assert.Null(TestTier.Refusal("Azurite", null));
        Assert.Null(TestTier.Refusal("Azurite", ""));
    }

    /// <summary>A process started in C#: <c>Process.Start(…)</c>, <c>new Process</c>, or a <c>ProcessStartInfo</c> made for one.</summary>
    [GeneratedRegex(@"\bProcess\.Start\(|\bnew Process\b|\bnew ProcessStartInfo\b")]
    private static partial Regex StartsAProcess();
}
