using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Tests.Inference;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>An engine runs its model through the inference runtime its host gives it, and its hangs show.</summary>
public sealed class EngineRuntimeTests
{
    [Fact]
    public async Task AnEngineRunsEveryBatchThroughTheRuntimeItIsGivenAndMasksStayTheSame()
    {
        var model = EngineTestKit.Model();
        var image = EngineTestKit.Ellipses(100, 80, seed: 7);
        var runtime = new HoldingRuntime();
        using var plain = EngineTestKit.Engine(model);
        using var wrapped = SegmentationEngine.Create(model, new SegmentationOptions { Device = EngineTestKit.Cpu }, NullLogger.Instance, runtime);

        var expected = await plain.SegmentAsync("ellipses.png", image, null, CancellationToken.None);
        var actual = await wrapped.SegmentAsync("ellipses.png", image, null, CancellationToken.None);

        var session = Assert.Single(runtime.Sessions);
        Assert.True(session.Runs > 0);
        Assert.Equal(wrapped.Batching.Batches, session.Runs);
        Assert.True(expected.MaskFile.AsSpan().SequenceEqual(actual.MaskFile), "the mask differs when the model runs through another runtime");
    }

    [Fact]
    public async Task AHungRunShowsAsTheEnginesLongestRun()
    {
        var model = EngineTestKit.Model();
        var runtime = new HoldingRuntime(heldRun: 1);
        using var engine = SegmentationEngine.Create(model, new SegmentationOptions { Device = EngineTestKit.Cpu }, NullLogger.Instance, runtime);

        var segmenting = engine.SegmentAsync("ellipses.png", EngineTestKit.Ellipses(64, 64, seed: 8), null, CancellationToken.None);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (engine.LongestRun < TimeSpan.FromMilliseconds(200) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        Assert.InRange(engine.LongestRun, TimeSpan.FromMilliseconds(200), clock.Elapsed + TimeSpan.FromSeconds(1));
        Assert.False(segmenting.IsCompleted);
        runtime.Sessions.Single().Release();
        Assert.Equal(64, (await segmenting.WaitAsync(TimeSpan.FromSeconds(30))).Width);
    }
}
