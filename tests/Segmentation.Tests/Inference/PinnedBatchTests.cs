using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Tests.Engine;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

public sealed class PinnedBatchTests
{
    private const int Tile = 32;
    private const int Capacity = 4;

    [Fact]
    public void BoundRunsMatchPlainRunsBitForBitForFullAndPartialBatches()
    {
        using var session = OpenSmallNestedUNet(out var shape);
        using var batch = session.CreateBatch(shape, Capacity);

        // A full batch, partial ones, and the full size again with other tiles: the bound input is the live buffer.
        int[] counts = [4, 3, 1, 4, 2];
        for (var run = 0; run < counts.Length; run++)
        {
            var count = counts[run];
            var input = RandomTiles(count * shape.InputLength, seed: run);
            var plain = new float[count * shape.OutputLength];
            session.Run(input, plain, count, shape.Channels, shape.Classes, Tile, Tile);

            input.CopyTo(batch.Input);
            batch.Run(count);

            var bound = batch.Output[..plain.Length];
            Assert.True(MemoryMarshal.Cast<float, int>(bound).SequenceEqual(MemoryMarshal.Cast<float, int>(plain.AsSpan())), $"run {run}: {count} tiles differ");
        }
    }

    [Fact]
    public void ManyRunsReuseOneBindingPerBatchSizeAndGiveTheSameResults()
    {
        using var session = OpenSmallNestedUNet(out var shape);
        using var batch = session.CreateBatch(shape, Capacity);
        var tiles = RandomTiles(Capacity * shape.InputLength, seed: 11);
        var first = new Dictionary<int, float[]>();

        for (var run = 0; run < 60; run++)
        {
            var count = (run % 3) switch { 0 => 4, 1 => 1, _ => 3 };
            tiles.AsSpan(0, count * shape.InputLength).CopyTo(batch.Input);
            batch.Run(count);
            var output = batch.Output[..(count * shape.OutputLength)].ToArray();
            if (!first.TryAdd(count, output))
            {
                Assert.Equal(first[count], output);
            }
        }

        Assert.Equal(3, batch.BoundSizes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Capacity + 1)]
    public void ARunOfNoTilesOrMoreThanTheCapacityIsRefused(int count)
    {
        using var session = OpenSmallNestedUNet(out var shape);
        using var batch = session.CreateBatch(shape, Capacity);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Run(count));
    }

    private static DeviceSession OpenSmallNestedUNet(out TileShape shape)
    {
        var model = EngineTestKit.Model(tileSize: Tile);
        shape = new TileShape(model.Card.InChannels, model.Card.Classes, Tile);
        var graph = ModeGraph.Select(model.Model, model.Card, InferenceMode.L4);
        return DeviceSession.Open(graph.ToByteArray(), EngineTestKit.Cpu, NullLogger.Instance);
    }

    private static float[] RandomTiles(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)random.NextDouble())];
    }
}
