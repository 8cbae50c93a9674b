using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Tests.Engine;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

public sealed class DeviceBatcherTests
{
    private const int Channels = 3;
    private const int Classes = 2;
    private const int Size = 16;

    [Fact]
    public async Task TilesFromManyCallersComeBackToTheirOwnBuffersInFewerBatches()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out var weights);
        using var session = DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance);
        var shape = new TileShape(Channels, Classes, Size);
        using var batcher = new DeviceBatcher(session, shape, new BatcherOptions { MaxBatchSize = 4, MaxWait = TimeSpan.FromMilliseconds(50) });

        // Requests of 1..7 tiles: most batches must mix tiles of several requests.
        var requests = Enumerable.Range(1, 7).Select(count => MakeRequest(count, seed: count)).ToArray();
        await Task.WhenAll(requests.Select(r => batcher.InferAsync(batcher.Shape, r.Inputs, r.Outputs, r.Count)));

        foreach (var r in requests)
        {
            AssertOutputs(r, weights, shape);
        }

        var stats = batcher.Statistics;
        Assert.Equal(28, stats.Tiles);
        Assert.InRange(stats.Batches, 7, 27);
        Assert.Equal(0, batcher.QueuedTiles);
    }

    [Fact]
    public async Task AHungRunShowsAsTheLongestRunAndItsTilesComeBackWhenItReturns()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out var weights);
        using var session = new HoldingSession(DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance), heldRun: 2);
        var shape = new TileShape(Channels, Classes, Size);
        using var batcher = new DeviceBatcher(session, shape, new BatcherOptions { MaxBatchSize = 4 });

        var first = MakeRequest(2, seed: 1);
        await batcher.InferAsync(batcher.Shape, first.Inputs, first.Outputs, first.Count);
        AssertOutputs(first, weights, shape);
        Assert.Equal(TimeSpan.Zero, batcher.LongestRun);

        // The second run does not return: its tiles never come back, and the run's age grows for all to see.
        var second = MakeRequest(2, seed: 2);
        var hung = batcher.InferAsync(batcher.Shape, second.Inputs, second.Outputs, second.Count);
        var clock = Stopwatch.StartNew();
        await WaitUntilAsync(() => batcher.LongestRun >= TimeSpan.FromMilliseconds(300));

        Assert.False(hung.IsCompleted);
        Assert.InRange(batcher.LongestRun, TimeSpan.FromMilliseconds(300), clock.Elapsed + TimeSpan.FromSeconds(1));

        // A run that does return after all hands its tiles back, and nothing counts as running any more.
        session.Release();
        await hung.WaitAsync(TimeSpan.FromSeconds(30));
        AssertOutputs(second, weights, shape);
        Assert.Equal(TimeSpan.Zero, batcher.LongestRun);
    }

    [Fact]
    public async Task AHungRunHoldsOnlyItsOwnBatchAndTheOtherKeepsServing()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out var weights);
        using var session = new HoldingSession(DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance), heldRun: 1);
        var shape = new TileShape(Channels, Classes, Size);
        using var batcher = new DeviceBatcher(session, shape, new BatcherOptions { MaxBatchSize = 4, InFlightBatches = 2 });

        var first = MakeRequest(2, seed: 1);
        var hung = batcher.InferAsync(batcher.Shape, first.Inputs, first.Outputs, first.Count);
        await WaitUntilAsync(() => batcher.LongestRun > TimeSpan.Zero);

        var other = MakeRequest(3, seed: 2);
        await batcher.InferAsync(batcher.Shape, other.Inputs, other.Outputs, other.Count).WaitAsync(TimeSpan.FromSeconds(30));

        AssertOutputs(other, weights, shape);
        Assert.False(hung.IsCompleted);
        Assert.True(batcher.LongestRun > TimeSpan.Zero);
        session.Release();
        await hung.WaitAsync(TimeSpan.FromSeconds(30));
        AssertOutputs(first, weights, shape);
    }

    [Fact]
    public async Task DisposingWaitsForTheRunInFlightAndRunsTheTilesStillQueued()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out var weights);
        using var session = new HoldingSession(DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance), heldRun: 1);
        var shape = new TileShape(Channels, Classes, Size);
        var batcher = new DeviceBatcher(session, shape, new BatcherOptions { MaxBatchSize = 4 });
        var running = MakeRequest(3, seed: 1);
        var inFlight = batcher.InferAsync(batcher.Shape, running.Inputs, running.Outputs, running.Count);
        await WaitUntilAsync(() => batcher.LongestRun > TimeSpan.Zero);
        var queued = MakeRequest(2, seed: 2);
        var waiting = batcher.InferAsync(batcher.Shape, queued.Inputs, queued.Outputs, queued.Count);

        // The batch's buffers are the device's until its run returns: disposing must not free them under it.
        var disposing = Task.Run(batcher.Dispose);
        await Task.Delay(300);
        Assert.False(disposing.IsCompleted, "the batcher was disposed while a run was still going");

        session.Release();
        await disposing.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(inFlight, waiting).WaitAsync(TimeSpan.FromSeconds(30));
        AssertOutputs(running, weights, shape);
        AssertOutputs(queued, weights, shape);
    }

    [Fact]
    public async Task TilesOfOneShapeBatchTogetherWhateverTheirPlaceInTheQueue()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out var weights);
        using var session = new HoldingSession(DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance), heldRun: 1);
        var tile = new TileShape(Channels, Classes, Size);
        var small = new TileShape(Channels, Classes, 5, 7);
        using var batcher = new DeviceBatcher(session, tile, new BatcherOptions { MaxBatchSize = 4 });

        // The first run is held, so the three requests after it are all queued when it returns.
        var first = MakeRequest(tile, 1, seed: 1);
        var held = batcher.InferAsync(tile, first.Inputs, first.Outputs, first.Count);
        await WaitUntilAsync(() => batcher.LongestRun > TimeSpan.Zero);
        var requests = new[] { (Shape: small, Data: MakeRequest(small, 1, seed: 2)), (Shape: tile, Data: MakeRequest(tile, 1, seed: 3)), (Shape: small, Data: MakeRequest(small, 1, seed: 4)) };
        var queued = requests.Select(r => batcher.InferAsync(r.Shape, r.Data.Inputs, r.Data.Outputs, r.Data.Count)).ToArray();
        session.Release();
        await Task.WhenAll([held, .. queued]).WaitAsync(TimeSpan.FromSeconds(30));

        AssertOutputs(first, weights, tile);
        foreach (var (shape, data) in requests)
        {
            AssertOutputs(data, weights, shape);
        }

        // The held run, both small tiles in one run, the full tile queued between them in another.
        Assert.Equal((3L, 4L), (batcher.Statistics.Batches, batcher.Statistics.Tiles));
    }

    [Fact]
    public async Task APartFilledBatchWaitsForAnImageBeingDecodedAndRunsAtOnceWithoutOne()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out var weights);
        using var session = DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance);
        var shape = new TileShape(Channels, Classes, Size);
        using var batcher = new DeviceBatcher(session, shape, new BatcherOptions { MaxBatchSize = 4, MaxWait = TimeSpan.FromMinutes(5) });

        // Nothing is being decoded: a lone tile runs now, not after the (long) longest wait.
        var alone = MakeRequest(1, seed: 1);
        await batcher.InferAsync(batcher.Shape, alone.Inputs, alone.Outputs, alone.Count).WaitAsync(TimeSpan.FromSeconds(30));
        AssertOutputs(alone, weights, shape);

        // While another image decodes, two tiles wait for its two, and the four run as one batch.
        var decoding = batcher.Preparing();
        var first = MakeRequest(2, seed: 2);
        var firstDone = batcher.InferAsync(batcher.Shape, first.Inputs, first.Outputs, first.Count);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(firstDone.IsCompleted);

        var second = MakeRequest(2, seed: 3);
        var secondDone = batcher.InferAsync(batcher.Shape, second.Inputs, second.Outputs, second.Count);
        decoding.Dispose();
        decoding.Dispose();
        await Task.WhenAll(firstDone, secondDone).WaitAsync(TimeSpan.FromSeconds(30));
        AssertOutputs(first, weights, shape);
        AssertOutputs(second, weights, shape);
        Assert.Equal((2L, 5L), (batcher.Statistics.Batches, batcher.Statistics.Tiles));

        // An image that gave up (failed to decode) holds nobody back.
        batcher.Preparing().Dispose();
        var last = MakeRequest(1, seed: 4);
        await batcher.InferAsync(batcher.Shape, last.Inputs, last.Outputs, last.Count).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ARequestLargerThanABatchIsSplitAcrossBatches()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out var weights);
        using var session = DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance);
        var shape = new TileShape(Channels, Classes, Size);
        using var batcher = new DeviceBatcher(session, shape, new BatcherOptions { MaxBatchSize = 3 });

        var request = MakeRequest(10, seed: 42);
        await batcher.InferAsync(batcher.Shape, request.Inputs, request.Outputs, request.Count);

        AssertOutputs(request, weights, shape);
        Assert.Equal(4, batcher.Statistics.Batches);
    }

    [Fact]
    public async Task TwoBatchesInFlightGiveTheResultsOfOneAndABusyTimeWithinTheWallClock()
    {
        var model = EngineTestKit.Model(tileSize: Size);
        var graph = ModeGraph.Select(model.Model, model.Card, InferenceMode.L4).ToByteArray();
        using var session = DeviceSession.Open(graph, EngineTestKit.Cpu, NullLogger.Instance);
        var shape = new TileShape(model.Card.InChannels, model.Card.Classes, Size);

        // Requests of 1..9 tiles from many callers at once, so batches mix requests and both loops have work.
        async Task<(TileRequestData[] Requests, BatcherStatistics Statistics, TimeSpan Wall)> RunAsync(int inFlight)
        {
            using var batcher = new DeviceBatcher(session, shape, new BatcherOptions { MaxBatchSize = 4, InFlightBatches = inFlight });
            var requests = Enumerable.Range(1, 9).Select(count => MakeRequest(shape, count, seed: count)).ToArray();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(requests.Select(r => Task.Run(() => batcher.InferAsync(batcher.Shape, r.Inputs, r.Outputs, r.Count))));
            var wall = clock.Elapsed;
            return (requests, batcher.Statistics, wall);
        }

        var one = await RunAsync(1);
        var two = await RunAsync(2);

        for (var r = 0; r < one.Requests.Length; r++)
        {
            Assert.Equal(one.Requests[r].Outputs, two.Requests[r].Outputs);
        }

        Assert.Equal(45, two.Statistics.Tiles);
        Assert.InRange(two.Statistics.Batches, 12, 45);
        Assert.Equal(2, two.Statistics.InFlightBatches);
        Assert.InRange(two.Statistics.BusyTime, TimeSpan.FromTicks(1), two.Wall);
        Assert.InRange(two.Statistics.MeanBatchFill, 0.25, 1);
    }

    [Fact]
    public async Task ACancelledRequestIsNotRun()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out _);
        using var session = DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance);
        using var batcher = new DeviceBatcher(session, new TileShape(Channels, Classes, Size), new BatcherOptions());
        var request = MakeRequest(2, seed: 1);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => batcher.InferAsync(batcher.Shape, request.Inputs, request.Outputs, request.Count, new CancellationToken(canceled: true)));
        Assert.Equal(0, batcher.Statistics.Tiles);
    }

    [Fact]
    public async Task AModelThatFailsFailsTheWaitingCallersAndTheLoopGoesOn()
    {
        var model = TinyModels.PointwiseConvolution(Channels, Classes, out var weights);
        using var session = DeviceSession.Open(model, new DeviceSessionOptions(), NullLogger.Instance);

        // The batcher believes tiles have 4 channels; the model takes 3, so every run fails.
        var wrong = new TileShape(Channels + 1, Classes, Size);
        using (var broken = new DeviceBatcher(session, wrong, new BatcherOptions()))
        {
            var bad = new float[wrong.InputLength];
            var badOut = new float[wrong.OutputLength];
            await Assert.ThrowsAnyAsync<Exception>(() => broken.InferAsync(broken.Shape, bad, badOut, 1));
        }

        using var batcher = new DeviceBatcher(session, new TileShape(Channels, Classes, Size), new BatcherOptions());
        var good = MakeRequest(2, seed: 3);
        await batcher.InferAsync(batcher.Shape, good.Inputs, good.Outputs, good.Count);
        AssertOutputs(good, weights, new TileShape(Channels, Classes, Size));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "the batcher did not get there within 30 s");
    }

    private static TileRequestData MakeRequest(int count, int seed) => MakeRequest(new TileShape(Channels, Classes, Size), count, seed);

    private static TileRequestData MakeRequest(TileShape shape, int count, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * shape.InputLength];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)random.NextDouble() - 0.5f;
        }

        return new TileRequestData(inputs, new float[count * shape.OutputLength], count);
    }

    private static void AssertOutputs(TileRequestData r, float[] weights, TileShape shape)
    {
        Span<float> pixel = stackalloc float[Channels];
        var plane = shape.Height * shape.Width;
        for (var t = 0; t < r.Count; t++)
        {
            for (var p = 0; p < plane; p++)
            {
                for (var c = 0; c < Channels; c++)
                {
                    pixel[c] = r.Inputs[(t * shape.InputLength) + (c * plane) + p];
                }

                for (var k = 0; k < Classes; k++)
                {
                    var actual = r.Outputs[(t * shape.OutputLength) + (k * plane) + p];
                    Assert.Equal(TinyModels.Expected(weights, Channels, k, pixel), actual, 1e-4f);
                }
            }
        }
    }

    private sealed record TileRequestData(float[] Inputs, float[] Outputs, int Count);
}
