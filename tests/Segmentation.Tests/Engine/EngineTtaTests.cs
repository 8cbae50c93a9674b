using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Tiling;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>
/// Test-time augmentation: every tile's prediction is the mean of the network run on the tile and on its
/// horizontal, vertical and double flips, each flipped back, before the tiles are blended.
/// </summary>
public sealed class EngineTtaTests(ITestOutputHelper output)
{
    private const int Tile = 64;

    /// <summary>
    /// A 16-bit probability is within half a step of the reference, plus what batching four tiles
    /// instead of one may change in the last bits of a float.
    /// </summary>
    private const double Tolerance = 0.6;

    [Theory]
    [InlineData(64, 64, 1, InferenceMode.L4)]      // exactly one tile
    [InlineData(45, 33, 1, InferenceMode.L4)]      // smaller than a tile both ways: one tile of its own size
    [InlineData(101, 77, 1, InferenceMode.L4)]     // odd sizes, 2 × 2 tiles
    [InlineData(150, 37, 1, InferenceMode.L4)]     // several tiles wide, tiles as tall as the image
    [InlineData(101, 77, 3, InferenceMode.L4)]     // softmax over three classes
    [InlineData(83, 70, 1, InferenceMode.Accurate)] // the mean of four heads
    [InlineData(83, 70, 1, InferenceMode.L2)]      // a pruned graph
    public async Task EachTileIsTheMeanOfItsFourFlipsFlippedBack(int width, int height, int classes, InferenceMode mode)
    {
        var png = EngineTestKit.Ellipses(width, height, seed: 12, count: 4);
        var model = mode != InferenceMode.L4 ? EngineTestKit.Model(deepSupervision: true, tileSize: Tile, path: "models/deep.onnx")
            : classes == 1 ? EngineTestKit.Amplified(png, seed: 5, tileSize: Tile)
            : EngineTestKit.Balanced(png, classes, tileSize: Tile);
        var reference = MirroredReference(model, mode, png, out _, out _);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { Mode = mode, Tta = true, Probabilities = true });

        var result = await engine.SegmentAsync("image.png", png, null, CancellationToken.None);

        Assert.True(engine.Tta);
        Assert.Equal((width, height), (result.Width, result.Height));
        Assert.Equal(new TileGrid(height, width, Tile, engine.Overlap).Tiles.Count, result.Tiles);
        var probabilities = EngineTestKit.ReadPng(result.ProbabilityFile!).Samples;
        var mask = EngineTestKit.ReadPng(result.MaskFile).Samples;
        var plane = width * height;
        var worst = 0.0;
        var checkedLabels = 0;
        for (var i = 0; i < plane; i++)
        {
            // The map holds the foreground probability: p for one class, 1 − p(background) for several.
            var expected = classes == 1 ? reference[i] : 1 - reference[i];
            worst = Math.Max(worst, Math.Abs(probabilities[i] - (expected * 65535.0)));
            if (Label(reference, classes, plane, i, model.Card.Threshold) is { } label)
            {
                Assert.True(label == mask[i], $"pixel {i}: mask {mask[i]}, reference label {label}");
                checkedLabels++;
            }
        }

        output.WriteLine(FormattableString.Invariant($"{width}×{height}, {classes} classes, {mode}: max |Δ| {worst:F3} of 65535; {checkedLabels} of {plane} labels clear of a tie"));
        Assert.InRange(worst, 0, Tolerance);
        Assert.True(checkedLabels > plane * 0.99, $"only {checkedLabels} of {plane} pixels are clear of a tie");
    }

    [Fact]
    public async Task TtaChangesTheResult()
    {
        const int width = 101, height = 77;
        var png = EngineTestKit.Ellipses(width, height, seed: 12, count: 4);
        var model = EngineTestKit.Amplified(png, seed: 5, tileSize: Tile);
        using var plain = EngineTestKit.Engine(model, new SegmentationOptions { Probabilities = true });
        using var mirrored = EngineTestKit.Engine(model, new SegmentationOptions { Probabilities = true, Tta = true });

        var once = await plain.SegmentAsync("image.png", png, null, CancellationToken.None);
        var averaged = await mirrored.SegmentAsync("image.png", png, null, CancellationToken.None);

        Assert.Equal(once.Tiles, averaged.Tiles);
        var a = EngineTestKit.ReadPng(once.ProbabilityFile!).Samples;
        var b = EngineTestKit.ReadPng(averaged.ProbabilityFile!).Samples;
        var differing = a.Zip(b).Count(p => Math.Abs(p.First - p.Second) > 655);
        output.WriteLine($"{differing} of {a.Length} probabilities differ by more than 0.01");
        Assert.True(differing > a.Length / 4, $"only {differing} of {a.Length} probabilities differ by more than 0.01 with TTA");
        Assert.NotEqual(once.MaskFile, averaged.MaskFile);
        Assert.Equal(4 * plain.Batching.Tiles, mirrored.Batching.Tiles);
    }

    /// <summary>The label the reference gives pixel <paramref name="i"/>, or null when two choices are too close to call.</summary>
    private static int? Label(float[] reference, int classes, int plane, int i, float threshold)
    {
        const float Margin = 1e-4f;
        if (classes == 1)
        {
            return Math.Abs(reference[i] - threshold) < Margin ? null : reference[i] >= threshold ? 255 : 0;
        }

        var ranked = Enumerable.Range(0, classes).OrderByDescending(k => reference[(k * plane) + i]).ToArray();
        return reference[(ranked[0] * plane) + i] - reference[(ranked[1] * plane) + i] < Margin ? null : ranked[0];
    }

    /// <summary>
    /// The sliding window done by hand: every grid tile, cut as the grid cuts it, is run through the
    /// mode's graph as it is and flipped each way, each output flipped back, the four averaged; then the
    /// tiles are blended. Returns the probabilities [K, H, W].
    /// </summary>
    private static float[] MirroredReference(LoadedModel model, InferenceMode mode, byte[] image, out int width, out int height)
    {
        var tensor = new ImageDecoder(new ImageDecoderOptions()).Decode("reference", image, model.Card.ToInputSpec());
        (width, height) = (tensor.Width, tensor.Height);
        var classes = model.Card.Classes;
        var grid = new TileGrid(height, width, Tile, TileGrid.DefaultOverlap);
        var blender = new GaussianBlender(grid, classes);
        using var session = DeviceSession.Open(ModeGraph.Select(model.Model, model.Card, mode).ToByteArray(), EngineTestKit.Cpu, NullLogger.Instance);
        var (rows, columns) = (grid.WindowHeight, grid.WindowWidth);
        var tile = new float[tensor.Channels * rows * columns];
        var flipped = new float[tile.Length];
        var prediction = new float[classes * rows * columns];
        var mean = new float[prediction.Length];
        foreach (var t in grid.Tiles)
        {
            grid.CopyTile(tensor, t, tile);
            Array.Clear(mean);
            foreach (var (horizontal, vertical) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                Flip(tile, flipped, rows, columns, horizontal, vertical);
                session.Run(flipped, prediction, 1, tensor.Channels, classes, rows, columns);
                for (var i = 0; i < mean.Length; i++)
                {
                    mean[i] += prediction[FlippedIndex(i, rows, columns, horizontal, vertical)] / 4;
                }
            }

            blender.Add(t, mean);
        }

        return blender.Finish();
    }

    private static void Flip(float[] source, float[] destination, int rows, int columns, bool horizontal, bool vertical)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = source[FlippedIndex(i, rows, columns, horizontal, vertical)];
        }
    }

    /// <summary>Where element <paramref name="i"/> of a [planes, rows, columns] block comes from once flipped.</summary>
    private static int FlippedIndex(int i, int rows, int columns, bool horizontal, bool vertical)
    {
        var plane = i / (rows * columns);
        var y = i / columns % rows;
        var x = i % columns;
        return (((plane * rows) + (vertical ? rows - 1 - y : y)) * columns) + (horizontal ? columns - 1 - x : x);
    }
}
