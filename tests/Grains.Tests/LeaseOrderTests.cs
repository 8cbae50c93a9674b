using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// The order workers lease in: priority first, a waiting job rising one step per ageing step, so a
/// job d priorities below the busiest is served at the latest after d steps.
/// </summary>
public sealed class LeaseOrderTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly LeaseOrder _order = new(Step);

    [Fact]
    public void HigherPriorityGoesFirstAndOfEqualsTheOneThatWaitedLonger()
    {
        var jobs = new[]
        {
            new WaitingJob("low", JobPriority.Low, Start),
            new WaitingJob("normal-late", JobPriority.Normal, Start.AddSeconds(20)),
            new WaitingJob("high", JobPriority.High, Start.AddSeconds(30)),
            new WaitingJob("normal-early", JobPriority.Normal, Start.AddSeconds(10)),
            new WaitingJob("b-tie", JobPriority.Normal, Start.AddSeconds(10)),
        };

        Assert.Equal(["high", "b-tie", "normal-early", "normal-late", "low"], _order.Order(jobs, Start.AddSeconds(30)));
    }

    [Fact]
    public void AJobRisesOneStepForEveryStepItWaits()
    {
        var low = new WaitingJob("low", JobPriority.Low, Start);

        Assert.Equal(JobPriority.Low, _order.Effective(low, Start));
        Assert.Equal(JobPriority.Low, _order.Effective(low, Start + Step - TimeSpan.FromTicks(1)));
        Assert.Equal(JobPriority.Normal, _order.Effective(low, Start + Step));
        Assert.Equal(JobPriority.High + 3, _order.Effective(low, Start + 5 * Step + TimeSpan.FromSeconds(59)));
    }

    [Fact]
    public void ALowJobOvertakesAHighOneThatJustLeasedOnceItHasWaitedTwoSteps()
    {
        var low = new WaitingJob("low", JobPriority.Low, Start);
        WaitingJob HighLeasedAt(DateTimeOffset at) => new("high", JobPriority.High, at);

        var justBefore = Start + 2 * Step - TimeSpan.FromTicks(1);
        var atTheBound = Start + 2 * Step;

        Assert.Equal(["high", "low"], _order.Order([low, HighLeasedAt(justBefore)], justBefore));
        Assert.Equal(["low", "high"], _order.Order([low, HighLeasedAt(atTheBound)], atTheBound));
    }

    /// <summary>
    /// A higher job with endless work and one worker slot freeing every few seconds: the slot goes to
    /// the first in the order, whose wait starts again. The lower job's longest wait for a shard is its
    /// priority difference in steps plus one slot's time, and the higher job still gets nearly every shard.
    /// </summary>
    [Theory]
    [InlineData(JobPriority.Low, JobPriority.High, 7)]
    [InlineData(JobPriority.Normal, JobPriority.High, 13)]
    [InlineData(JobPriority.Lowest, JobPriority.Highest, 5)]
    [InlineData(JobPriority.Low, JobPriority.Normal, 59)]
    public void TheLowerJobIsNeverStarvedBeyondItsAgeingBound(int lower, int higher, int slotSeconds)
    {
        var slot = TimeSpan.FromSeconds(slotSeconds);
        var bound = (higher - lower) * Step + slot;
        var served = Simulate([("lower", lower), ("higher", higher)], slot, TimeSpan.FromHours(10));

        Assert.InRange(LongestWait(served, "lower"), bound - slot, bound);
        // Between two of the lower job's shards the higher one gets every slot of its d steps but the last.
        var shares = served.CountBy(s => s.Job).ToDictionary();
        Assert.True(shares["higher"] >= shares["lower"] * ((higher - lower) * Step / slot - 1), $"higher {shares["higher"]}, lower {shares["lower"]}");
    }

    [Fact]
    public void WithSeveralLowerJobsEachIsServedWithinItsBoundPlusTheOthersTurns()
    {
        var slot = TimeSpan.FromSeconds(3);
        var jobs = new[] { ("low", JobPriority.Low), ("normal", JobPriority.Normal), ("high", JobPriority.High), ("other-low", JobPriority.Low) };

        var served = Simulate(jobs, slot, TimeSpan.FromHours(10));

        foreach (var (name, priority) in jobs.Where(j => j.Item2 < JobPriority.High))
        {
            Assert.True(LongestWait(served, name) <= (JobPriority.High - priority) * Step + jobs.Length * slot, $"{name} waited {LongestWait(served, name)}");
        }
    }

    /// <summary>Which job each freed slot went to, and when, over <paramref name="length"/>.</summary>
    private List<(DateTimeOffset At, string Job)> Simulate((string Name, int Priority)[] jobs, TimeSpan slot, TimeSpan length)
    {
        var waiting = jobs.Select(j => new WaitingJob(j.Name, j.Priority, Start)).ToDictionary(j => j.JobId);
        var served = new List<(DateTimeOffset, string)>();
        for (var now = Start + slot; now < Start + length; now += slot)
        {
            var first = _order.Order(waiting.Values, now)[0];
            waiting[first] = waiting[first] with { WaitingSince = now };
            served.Add((now, first));
        }

        return served;
    }

    /// <summary>The longest time <paramref name="job"/> went without a shard, from the start on.</summary>
    private static TimeSpan LongestWait(List<(DateTimeOffset At, string Job)> served, string job)
    {
        var times = served.Where(s => s.Job == job).Select(s => s.At).Prepend(Start).ToList();
        Assert.True(times.Count > 10, $"{job} was served {times.Count - 1} times");
        return times.Zip(times.Skip(1), (a, b) => b - a).Max();
    }
}
