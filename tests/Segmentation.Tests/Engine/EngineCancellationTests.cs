using UNetPP.Cluster.Segmentation.Engine;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>A cancelled image stops early, leaves nothing behind on the device, and spoils nothing for others.</summary>
public sealed class EngineCancellationTests
{
    private const int Tile = 64;

    [Fact]
    public async Task CancellingAnImageMidwayStopsItsTilesAndLeavesTheEngineAsItWas()
    {
        var model = EngineTestKit.Amplified(EngineTestKit.Ellipses(Tile, Tile, seed: 24, count: 3), seed: 5, tileSize: Tile);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { BatchSize = 2, Probabilities = true });
        var small = EngineTestKit.Ellipses(100, 90, seed: 25, count: 4);
        var before = await engine.SegmentAsync("small.png", small, null, CancellationToken.None);
        var tilesBefore = engine.Batching.Tiles;

        // 400 × 400 in 64-pixel tiles is 64 tiles, 32 batches of two: time enough to cancel in between.
        var large = EngineTestKit.Ellipses(400, 400, seed: 26, count: 12);
        using var cancellation = new CancellationTokenSource();
        var running = Task.Run(() => engine.SegmentAsync("large.png", large, null, cancellation.Token));
        while (engine.Batching.Tiles == tilesBefore && !running.IsCompleted)
        {
            await Task.Delay(1);
        }

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        // Once the call has ended nothing of the image is queued or running: the count stays put.
        var tilesAfter = engine.Batching.Tiles;
        Assert.InRange(tilesAfter - tilesBefore, 1, 63);
        await Task.Delay(50);
        Assert.Equal(tilesAfter, engine.Batching.Tiles);

        // The pooled buffers the cancelled image held are clean for the next user.
        var after = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => engine.SegmentAsync("small.png", small, null, CancellationToken.None))));
        Assert.All(after, a => Assert.True(before.ProbabilityFile.AsSpan().SequenceEqual(a.ProbabilityFile), "the result changed after a cancelled image"));
        Assert.Equal(tilesAfter + (3 * before.Tiles), engine.Batching.Tiles);
    }

    [Fact]
    public async Task AnAlreadyCancelledRequestInfersNothing()
    {
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => engine.SegmentAsync("image.png", EngineTestKit.Ellipses(150, 150, seed: 27), null, new CancellationToken(canceled: true)));

        Assert.Equal(0, engine.Batching.Tiles);
    }
}
