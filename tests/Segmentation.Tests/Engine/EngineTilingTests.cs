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
/// Tiling is an approximation of running the network once on the whole image; these tests hold the
/// engine to that: tiles cut from the right places, padded the right way, blended back to the right pixels.
/// </summary>
public sealed class EngineTilingTests(ITestOutputHelper output)
{
    private const int Tile = 64;

    /// <summary>
    /// Pixels at least tile / 8 from the image edge. Along the edge a tile sees the image border from
    /// inside while the whole-image run sees it at the same place, yet near-edge tiles are also the
    /// ones the grid shifts back to fit; the edge band is reported, not held to the bar.
    /// </summary>
    private const int Margin = Tile / 8;

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    public async Task TheInteriorOfATiledMaskAgreesWithWholeImageInference(double overlap)
    {
        const int width = 200, height = 170;
        var png = EngineTestKit.Ellipses(width, height, seed: 11);
        var amplified = EngineTestKit.Amplified(png, seed: 5, tileSize: Tile);
        var reference = EngineTestKit.WholeImage(amplified, InferenceMode.L4, png, out _, out _);

        // Cut where the whole-image probabilities separate best, so the mask is ellipses against background.
        var threshold = EngineTestKit.Otsu(reference);
        var model = amplified with { Card = amplified.Card with { Threshold = threshold } };
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { Overlap = overlap, Probabilities = true });
        var result = await engine.SegmentAsync("ellipses.png", png, null, CancellationToken.None);

        Assert.Equal((width, height), (result.Width, result.Height));
        Assert.Equal(new TileGrid(height, width, Tile, overlap).Tiles.Count, result.Tiles);
        Assert.True(result.Tiles > 9, $"{result.Tiles} tiles: the image must need several tiles along each axis.");
        var mask = EngineTestKit.ReadPng(result.MaskFile).Samples;
        var probabilities = EngineTestKit.ReadPng(result.ProbabilityFile!).Samples;

        var foreground = reference.Count(p => p >= threshold) / (double)reference.Length;
        Assert.InRange(foreground, 0.05, 0.95);

        long interior = 0, interiorEqual = 0, equal = 0;
        var interiorMaxDifference = 0.0;
        var meanDifference = 0.0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var same = (mask[i] == 255) == (reference[i] >= threshold);
                var difference = Math.Abs((probabilities[i] / 65535.0) - reference[i]);
                meanDifference += difference / reference.Length;
                equal += same ? 1 : 0;
                if (x >= Margin && y >= Margin && x < width - Margin && y < height - Margin)
                {
                    interior++;
                    interiorEqual += same ? 1 : 0;
                    interiorMaxDifference = Math.Max(interiorMaxDifference, difference);
                }
            }
        }

        var interiorAgreement = (double)interiorEqual / interior;
        var agreement = (double)equal / reference.Length;
        var report = FormattableString.Invariant(
            $"overlap {overlap}, {result.Tiles} tiles, threshold {threshold:F3}, foreground {foreground:P1}: interior agreement {interiorAgreement:P3} ({interior - interiorEqual} of {interior} differ), whole-image agreement {agreement:P3}, interior max |Δp| {interiorMaxDifference:F4}, mean |Δp| {meanDifference:F5}");
        output.WriteLine(report);
        Assert.True(interiorAgreement >= 0.999, report);
        Assert.True(interiorMaxDifference < 0.05, report);
        Assert.True(meanDifference < 0.004, report);
    }

    [Fact]
    public async Task AnImageOfExactlyOneTileGivesTheWholeImageResult()
    {
        var png = EngineTestKit.Ellipses(Tile, Tile, seed: 4, count: 3);
        var model = EngineTestKit.Amplified(png, seed: 5, tileSize: Tile);
        var reference = EngineTestKit.WholeImage(model, InferenceMode.L4, png, out _, out _);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { Probabilities = true });

        var result = await engine.SegmentAsync("one-tile.png", png, null, CancellationToken.None);

        Assert.Equal(1, result.Tiles);
        AssertSameAsReference(result, reference, model.Card.Threshold);
    }

    [Fact]
    public async Task AnImageSmallerThanATileIsPaddedAndCroppedBackForAModelOfFixedInputSize()
    {
        const int width = 40, height = 30;
        var png = EngineTestKit.Ellipses(width, height, seed: 8, count: 3);
        var open = EngineTestKit.Amplified(EngineTestKit.Ellipses(Tile, Tile, seed: 8, count: 3), seed: 5, tileSize: Tile);
        var model = EngineTestKit.FixedSize(open, Tile);

        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { Probabilities = true, Overlays = true });

        var result = await engine.SegmentAsync("small.png", png, null, CancellationToken.None);

        Assert.Equal((width, height, 1), (result.Width, result.Height, result.Tiles));
        foreach (var encoded in new[] { result.MaskFile, result.ProbabilityFile!, result.OverlayPng! })
        {
            var decoded = EngineTestKit.ReadPng(encoded);
            Assert.Equal((width, height), (decoded.Width, decoded.Height));
        }

        // The reference: the image placed at the top left of a zero tile (zero after normalisation, as
        // the grid pads), run whole, and cropped back.
        var tensor = new ImageDecoder(new ImageDecoderOptions()).Decode("small.png", png, model.Card.ToInputSpec());
        var padded = new float[tensor.Channels * Tile * Tile];
        for (var c = 0; c < tensor.Channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                tensor.Data.AsSpan(((c * height) + y) * width, width).CopyTo(padded.AsSpan(((c * Tile) + y) * Tile));
            }
        }

        var graph = ModeGraph.Select(model.Model, model.Card, InferenceMode.L4);
        using var session = DeviceSession.Open(graph.ToByteArray(), EngineTestKit.Cpu, NullLogger.Instance);
        var output16 = new float[Tile * Tile];
        session.Run(padded, output16, 1, tensor.Channels, 1, Tile, Tile);
        var reference = new float[width * height];
        for (var y = 0; y < height; y++)
        {
            output16.AsSpan(y * Tile, width).CopyTo(reference.AsSpan(y * width));
        }

        AssertSameAsReference(result, reference, model.Card.Threshold);
    }

    /// <summary>Mask equal pixel for pixel; probabilities equal up to the 16-bit map's rounding.</summary>
    private static void AssertSameAsReference(SegmentedImage result, float[] reference, float threshold)
    {
        var mask = EngineTestKit.ReadPng(result.MaskFile).Samples;
        var probabilities = EngineTestKit.ReadPng(result.ProbabilityFile!).Samples;
        Assert.Equal(reference.Length, mask.Length);
        var foreground = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            var expected = reference[i] >= threshold ? 255 : 0;
            Assert.True(expected == mask[i], $"pixel {i}: mask {mask[i]}, whole-image probability {reference[i]}");
            Assert.InRange(probabilities[i] - (reference[i] * 65535.0), -0.51, 0.51);
            foreground += mask[i] == 255 ? 1 : 0;
        }

        Assert.InRange(foreground, 1, reference.Length - 1);
    }
}
