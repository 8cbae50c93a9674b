using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>The cluster view's roll of workers: every figure with its age, and workers that stopped answering marked so.</summary>
public sealed class WorkerRollTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 3, 40, 0, TimeSpan.Zero);

    private readonly ManualClock _clock = new(Start);

    [Fact]
    public void AReportIsAsOldAsTheTimeSinceItCame()
    {
        var roll = new WorkerRoll(_clock);
        roll.Add(Report("silo-a/cpu", images: 40));
        _clock.Now += TimeSpan.FromSeconds(3);

        var worker = Assert.Single(roll.Statuses());

        Assert.Equal((Start, TimeSpan.FromSeconds(3), true, 40L), (worker.Updated, worker.Age, worker.Answering, worker.Report.ImagesDone));
    }

    [Fact]
    public void AWorkerThatMissesSeveralReportsIsNotAnsweringSinceItsLast()
    {
        var roll = new WorkerRoll(_clock);
        roll.Add(Report("silo-a/cpu", images: 40));
        roll.Add(Report("silo-b/cpu", images: 22));
        _clock.Now += TimeSpan.FromSeconds(6);
        roll.Add(Report("silo-a/cpu", images: 48));

        // At the limit: three intervals of two seconds missed, not more.
        Assert.All(roll.Statuses(), w => Assert.True(w.Answering, w.Report.WorkerId));

        _clock.Now += TimeSpan.FromSeconds(1);
        var statuses = roll.Statuses();

        Assert.Equal(["silo-a/cpu", "silo-b/cpu"], statuses.Select(w => w.Report.WorkerId));
        Assert.Equal((Start + TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(1), true, 48L),
            (statuses[0].Updated, statuses[0].Age, statuses[0].Answering, statuses[0].Report.ImagesDone));
        Assert.Equal((Start, TimeSpan.FromSeconds(7), false, 22L),
            (statuses[1].Updated, statuses[1].Age, statuses[1].Answering, statuses[1].Report.ImagesDone));
    }

    [Fact]
    public void AWorkerThatAnswersAgainIsCurrentAgain()
    {
        var roll = new WorkerRoll(_clock);
        roll.Add(Report("silo-a/cpu", images: 1));
        _clock.Now += TimeSpan.FromMinutes(1);
        Assert.False(Assert.Single(roll.Statuses()).Answering);

        roll.Add(Report("silo-a/cpu", images: 2));

        Assert.True(Assert.Single(roll.Statuses()).Answering);
    }

    [Fact]
    public void AWorkerSilentForLongIsDropped()
    {
        var roll = new WorkerRoll(_clock);
        roll.Add(Report("silo-a/cpu", images: 1));
        _clock.Now += WorkerRoll.Forget;
        Assert.Single(roll.Statuses());

        _clock.Now += TimeSpan.FromSeconds(1);

        Assert.Empty(roll.Statuses());
    }

    private static WorkerReport Report(string workerId, long images) => new()
    {
        WorkerId = workerId,
        Silo = workerId.Split('/')[0],
        Device = "cpu",
        ImagesDone = images,
        Interval = TimeSpan.FromSeconds(2),
    };

    /// <summary>A clock that moves only when the test moves it.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
