using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Tests.Model;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>
/// The seed's network takes an image of any size; an image smaller than a tile must get what the seed
/// gives for it whole, not the output of the image padded up to a tile.
/// </summary>
public sealed class EngineImageSizeTests(ITestOutputHelper output)
{
    private const int Tile = 256;
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData(97, 131, InferenceMode.L1)]
    [InlineData(97, 131, InferenceMode.L2)]
    [InlineData(97, 131, InferenceMode.L3)]
    [InlineData(97, 131, InferenceMode.L4)]
    [InlineData(97, 131, InferenceMode.Accurate)]
    [InlineData(17, 23, InferenceMode.L1)]
    [InlineData(17, 23, InferenceMode.L2)]
    [InlineData(17, 23, InferenceMode.L3)]
    [InlineData(17, 23, InferenceMode.L4)]
    [InlineData(17, 23, InferenceMode.Accurate)]
    [InlineData(200, 70, InferenceMode.L1)]
    [InlineData(200, 70, InferenceMode.L2)]
    [InlineData(200, 70, InferenceMode.L3)]
    [InlineData(200, 70, InferenceMode.L4)]
    [InlineData(200, 70, InferenceMode.Accurate)]
    public async Task AnImageSmallerThanATileGetsTheSeedsWholeImageOutput(int width, int height, InferenceMode mode)
    {
        var png = EngineTestKit.Ellipses(width, height, seed: 17, count: 4);
        var weights = EngineTestKit.Weights(deepSupervision: true, seed: 9);
        var input = Decode(weights, png);
        Spread(weights, input);
        var expected = Probabilities(new NestedUNetReference(weights).Heads(input), mode);
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(weights, Tile), new SegmentationOptions { Mode = mode, Probabilities = true });

        var result = await engine.SegmentAsync("small.png", png, null, CancellationToken.None);

        Assert.Equal((width, height, 1), (result.Width, result.Height, result.Tiles));
        var probabilities = EngineTestKit.ReadPng(result.ProbabilityFile!).Samples;
        var mask = EngineTestKit.ReadPng(result.MaskFile).Samples;
        var threshold = engine.Model.Card.Threshold;
        var difference = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs((probabilities[i] / 65535.0) - expected[i]));
            if (Math.Abs(expected[i] - threshold) > Tolerance)
            {
                Assert.Equal(expected[i] >= threshold ? 255 : 0, mask[i]);
            }
        }

        output.WriteLine(FormattableString.Invariant($"{width}×{height} {mode.ToName()}: max |Δp| {difference:E2}, reference p in [{expected.Min():F3}, {expected.Max():F3}]"));
        Assert.InRange(difference, 0, Tolerance);
        Assert.InRange(mask.Count(m => m == 255), 1, mask.Length - 1);
    }

    [Fact]
    public async Task AnImageUnder16PixelsIsPaddedTo16AndCroppedBack()
    {
        const int width = 12, height = 9;
        var png = EngineTestKit.Ellipses(width, height, seed: 3, count: 2);
        var model = EngineTestKit.Model(deepSupervision: true, tileSize: 64);
        var tensor = new ImageDecoder(new ImageDecoderOptions()).Decode("tiny.png", png, model.Card.ToInputSpec());
        var padded = new float[tensor.Channels * 16 * 16];
        for (var c = 0; c < tensor.Channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                tensor.Data.AsSpan(((c * height) + y) * width, width).CopyTo(padded.AsSpan(((c * 16) + y) * 16));
            }
        }

        var expected = Probabilities(new NestedUNetReference(EngineTestKit.Weights(deepSupervision: true)).Heads(new FeatureMap(1, tensor.Channels, 16, 16, padded)), InferenceMode.L4);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { Probabilities = true });

        var result = await engine.SegmentAsync("tiny.png", png, null, CancellationToken.None);

        Assert.Equal((width, height), (result.Width, result.Height));
        var probabilities = EngineTestKit.ReadPng(result.ProbabilityFile!).Samples;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                Assert.InRange(Math.Abs((probabilities[(y * width) + x] / 65535.0) - expected[(y * 16) + x]), 0, Tolerance);
            }
        }
    }

    [Fact]
    public async Task AnImageAtLeastATileBothWaysGetsTheSameBytesAsWhenShortAxesArePadded()
    {
        const int tile = 64;
        var png = EngineTestKit.Ellipses(150, 90, seed: 23, count: 5);
        var open = EngineTestKit.Amplified(png, seed: 5, tileSize: tile);
        var fixedSize = EngineTestKit.FixedSize(open, tile);

        var options = new SegmentationOptions { Probabilities = true, Tta = true };
        using var openEngine = EngineTestKit.Engine(open, options);
        using var fixedEngine = EngineTestKit.Engine(fixedSize, options);

        var actual = await openEngine.SegmentAsync("large.png", png, null, CancellationToken.None);
        var padded = await fixedEngine.SegmentAsync("large.png", png, null, CancellationToken.None);

        Assert.True(actual.Tiles > 1);
        Assert.Equal(padded.MaskFile, actual.MaskFile);
        Assert.Equal(padded.ProbabilityFile, actual.ProbabilityFile);
    }

    private static FeatureMap Decode(NestedUNetWeights weights, byte[] png)
    {
        var card = ModelCard.ForNestedUNet(weights.Options);
        var tensor = new ImageDecoder(new ImageDecoderOptions()).Decode("reference", png, card.ToInputSpec());
        return new FeatureMap(1, tensor.Channels, tensor.Height, tensor.Width, tensor.Data);
    }

    /// <summary>
    /// Rescales each head so that its logits on <paramref name="input"/> spread over about ±4 around their
    /// median (initial weights answer almost the same everywhere): the padded tile's error then shows.
    /// </summary>
    private static void Spread(NestedUNetWeights weights, FeatureMap input)
    {
        var heads = new NestedUNetReference(weights).Heads(input);
        for (var k = 0; k < heads.Count; k++)
        {
            var logits = heads[k].Data.Order().ToArray();
            var median = logits[logits.Length / 2];
            var scale = 8f / (logits[logits.Length * 99 / 100] - logits[logits.Length / 100]);
            var head = weights.Values($"final{k + 1}.weight");
            for (var i = 0; i < head.Length; i++)
            {
                head[i] *= scale;
            }

            var bias = weights.Values($"final{k + 1}.bias");
            bias[0] = scale * (bias[0] - median);
        }
    }

    /// <summary>The mode's probabilities from the heads' logits: one head's sigmoid, or the mean of all four (accurate).</summary>
    private static double[] Probabilities(IReadOnlyList<FeatureMap> heads, InferenceMode mode)
    {
        var used = mode == InferenceMode.Accurate ? heads : [heads[mode switch
        {
            InferenceMode.L1 => 0,
            InferenceMode.L2 => 1,
            InferenceMode.L3 => 2,
            _ => 3,
        }]];
        var plane = heads[0].Plane;
        return [.. Enumerable.Range(0, plane).Select(i => used.Average(h => 1 / (1 + Math.Exp(-h.Data[i]))))];
    }
}
