using System.Text.Json.Nodes;
using UNetPP.Cluster.Client.Commands;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>What <c>unetpp cluster</c> prints: each worker's figures with their age, and a silo that stopped answering marked so.</summary>
public sealed class WorkerTableTests
{
    private static readonly DateTimeOffset Heard = new(2026, 12, 6, 3, 41, 7, TimeSpan.Zero);

    private static readonly IReadOnlyList<WorkerStatus> Workers =
    [
        Status("127.0.0.1:11111", images: 40, tilesPerSecond: 12.34, age: TimeSpan.FromSeconds(3.6), answering: true),
        Status("127.0.0.1:11112", images: 22, tilesPerSecond: 8, age: TimeSpan.FromSeconds(52), answering: false),
    ];

    [Fact]
    public void EachRowSaysWhenItWasUpdatedAndASilentSiloIsNotShownAsCurrent()
    {
        var lines = WorkerTable.Lines(Workers).ToList();

        Assert.Equal(
        [
            "Silo             Device    Shards    Images   Tiles/s  Updated",
            "127.0.0.1:11111  cpu            1        40      12.3  3 s ago",
            "127.0.0.1:11112  cpu            1        22         -  not answering since 03:41:07 UTC (52 s)",
            "2 worker(s) on 2 silo(s); 1 not answering, shown with the figures of their last report.",
        ], lines);
    }

    [Fact]
    public void EveryoneAnsweringEndsWithThePlainCount()
    {
        Assert.Equal("1 worker(s) on 1 silo(s).", WorkerTable.Lines([Workers[0] with { Age = TimeSpan.FromMinutes(3) }]).Last());
        Assert.EndsWith("  3 min ago", WorkerTable.Lines([Workers[0] with { Age = TimeSpan.FromMinutes(3) }]).ElementAt(1), StringComparison.Ordinal);
    }

    [Fact]
    public void JsonCarriesTheSameFields()
    {
        var json = JsonNode.Parse(WorkerTable.ToJson(Workers))!.AsArray();

        var silent = json[1]!.AsObject();
        Assert.Equal("127.0.0.1:11112/cpu", (string?)silent["workerId"]);
        Assert.False((bool)silent["answering"]!);
        Assert.Equal(52.0, (double)silent["updatedSecondsAgo"]!);
        Assert.Equal(Heard, (DateTimeOffset)silent["updated"]!);
        Assert.Equal(22L, (long)silent["imagesDone"]!);
        Assert.True((bool)json[0]!["answering"]!);
        Assert.Equal(3.6, (double)json[0]!["updatedSecondsAgo"]!);
    }

    private static WorkerStatus Status(string silo, long images, double tilesPerSecond, TimeSpan age, bool answering) => new()
    {
        Report = new WorkerReport
        {
            WorkerId = $"{silo}/cpu",
            Silo = silo,
            Device = "cpu",
            Shards = ["job-1/3"],
            ImagesDone = images,
            TilesPerSecond = tilesPerSecond,
            Interval = TimeSpan.FromSeconds(2),
        },
        Updated = Heard,
        Age = age,
        Answering = answering,
    };
}
