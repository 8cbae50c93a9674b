using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>What every run of the test job must end with, whatever happened to its silos: the one-silo run's results, byte for byte.</summary>
internal static class JobAssertions
{
    public static void FinishedWithOnlyTheCorruptImagesFailed(JobStatus status)
    {
        Assert.True(status.State == JobState.CompletedWithFailures, $"The job ended {IntegrationFixture.Describe(status)}.");
        Assert.Equal((Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count), (status.Total, status.Done, status.Failed));
        CorruptFailures(status.Failures);
    }

    public static void CorruptFailures(IReadOnlyList<ImageFailure> failures)
    {
        Assert.Equal(Dataset.Corrupt.Keys.Order(StringComparer.Ordinal), failures.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (var failure in failures)
        {
            Assert.Contains(Dataset.Corrupt[failure.Name], failure.Reason, StringComparison.Ordinal);
        }
    }

    public static void SameAsReference(JobOutcome reference, JobOutcome outcome)
    {
        FinishedWithOnlyTheCorruptImagesFailed(outcome.Status);
        var missing = reference.Results.Keys.Except(outcome.Results.Keys).ToList();
        var extra = outcome.Files.Keys.Except(reference.Files.Keys).ToList();
        var different = reference.Results.Where(m => outcome.Results.TryGetValue(m.Key, out var bytes) && !bytes.AsSpan().SequenceEqual(m.Value)).Select(m => m.Key).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} result(s) missing: {string.Join(", ", missing.Take(10))}");
        Assert.True(extra.Count == 0, $"{extra.Count} unexpected file(s): {string.Join(", ", extra.Take(10))}");
        Assert.True(different.Count == 0, $"{different.Count} result(s) differ from the one-silo run's: {string.Join(", ", different.Take(10))}");
        Assert.NotNull(outcome.Report);
        Assert.Equal(new ReportCounts(Dataset.Total, Dataset.GoodCount, Dataset.Corrupt.Count), outcome.Report.Counts);
    }
}
