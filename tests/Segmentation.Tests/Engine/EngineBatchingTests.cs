using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>Images in flight together share the device's batches, and none of them notices.</summary>
public sealed class EngineBatchingTests
{
    private const int Tile = 64;
    private const int Batch = 4;

    /// <summary>Sizes chosen so that most images leave a part-filled last chunk for others to share.</summary>
    private static readonly (int Width, int Height)[] Sizes = [(64, 64), (100, 80), (130, 90), (70, 150), (120, 64), (50, 100)];

    [Fact]
    public async Task ImagesSegmentedTogetherGetExactlyWhatTheyGetAlone()
    {
        var model = EngineTestKit.Amplified(EngineTestKit.Ellipses(Tile, Tile, seed: 21, count: 3), seed: 5, tileSize: Tile);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { BatchSize = Batch, Probabilities = true });
        var images = Sizes.Select((s, k) => (Name: $"image-{k}.png", Png: EngineTestKit.Ellipses(s.Width, s.Height, seed: 30 + k, count: 4))).ToArray();
        var tiles = Sizes.Select(s => new TileGrid(s.Height, s.Width, Tile, new SegmentationOptions().Overlap).Tiles.Count).ToArray();
        var chunks = tiles.Sum(t => (t + Batch - 1) / Batch);

        var alone = new List<SegmentedImage>();
        foreach (var (name, png) in images)
        {
            alone.Add(await engine.SegmentAsync(name, png, null, CancellationToken.None));
        }

        var sequential = engine.Batching;
        Assert.Equal(tiles.Sum(), sequential.Tiles);
        Assert.Equal(chunks, sequential.Batches);

        var together = await Task.WhenAll(images.Select(i => Task.Run(() => engine.SegmentAsync(i.Name, i.Png, null, CancellationToken.None))));

        for (var k = 0; k < images.Length; k++)
        {
            Assert.Equal(images[k].Name, together[k].Name);
            Assert.Equal(tiles[k], together[k].Tiles);
            Assert.Equal((Sizes[k].Width, Sizes[k].Height), (together[k].Width, together[k].Height));
            Assert.True(alone[k].MaskFile.AsSpan().SequenceEqual(together[k].MaskFile), $"{images[k].Name}: the mask differs when segmented with others.");
            Assert.True(alone[k].ProbabilityFile.AsSpan().SequenceEqual(together[k].ProbabilityFile), $"{images[k].Name}: the probabilities differ when segmented with others.");
            Assert.Equal(alone[k].Summary.Classes[0].PixelCount, together[k].Summary.Classes[0].PixelCount);
        }

        var concurrent = engine.Batching;
        var batches = concurrent.Batches - sequential.Batches;
        Assert.Equal(tiles.Sum(), concurrent.Tiles - sequential.Tiles);
        Assert.True(batches < tiles.Sum(), $"{batches} batches for {tiles.Sum()} tiles");
        Assert.True(batches <= chunks, $"{batches} batches for {tiles.Sum()} tiles; one image at a time needs {chunks}");
        Assert.Equal(Batch, concurrent.MaxBatchSize);
    }

    [Theory]
    [InlineData(Tile, Tile)]
    [InlineData(40, 30)] // smaller than a tile: one tile of the image's own size
    public async Task OneTileImagesInFlightTogetherAreBatchedAcrossImages(int width, int height)
    {
        // Eight one-tile images: every batch of more than one tile holds tiles of different images.
        var model = EngineTestKit.Amplified(EngineTestKit.Ellipses(Tile, Tile, seed: 22, count: 3), seed: 5, tileSize: Tile);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { BatchSize = Batch });
        var images = Enumerable.Range(0, 8).Select(k => (Name: $"one-{k}.png", Png: EngineTestKit.Ellipses(width, height, seed: 50 + k, count: 3))).ToArray();
        var alone = new List<byte[]>();
        foreach (var (name, png) in images)
        {
            alone.Add((await engine.SegmentAsync(name, png, null, CancellationToken.None)).MaskFile);
        }

        Assert.Equal(8, engine.Batching.Batches);

        // Gate the starts so all eight reach the queue together. Whether they meet within a batch's
        // wait is up to the scheduler of a shared machine, so a few tries are allowed for that part;
        // every try must give each image exactly its own result.
        var batchesPerTry = new List<long>();
        for (var attempt = 0; attempt < 3 && !batchesPerTry.Any(b => b < images.Length); attempt++)
        {
            var before = engine.Batching.Batches;
            using var start = new ManualResetEventSlim();
            var running = images.Select(i => Task.Run(() =>
            {
                start.Wait();
                return engine.SegmentAsync(i.Name, i.Png, null, CancellationToken.None);
            })).ToArray();
            start.Set();
            var together = await Task.WhenAll(running);

            for (var k = 0; k < images.Length; k++)
            {
                Assert.True(alone[k].AsSpan().SequenceEqual(together[k].MaskFile), $"{images[k].Name}: the mask differs when segmented with others.");
            }

            batchesPerTry.Add(engine.Batching.Batches - before);
        }

        Assert.All(batchesPerTry, b => Assert.InRange(b, 2, images.Length));
        Assert.True(batchesPerTry.Any(b => b < images.Length), $"batches per try of {images.Length} one-tile images: {string.Join(", ", batchesPerTry)}");
    }
}
