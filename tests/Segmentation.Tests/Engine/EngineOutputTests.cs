using System.Diagnostics;
using NetVips;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>What comes back for an image: the encoded files, the summary and the stage times.</summary>
public sealed class EngineOutputTests
{
    private const int Tile = 64;

    [Fact]
    public async Task MaskProbabilityMapAndOverlayDecodeToTheirKindsAndAgree()
    {
        const int width = 90, height = 70;
        var png = EngineTestKit.Ellipses(width, height, seed: 15, count: 4);
        var model = EngineTestKit.Amplified(png, seed: 5, tileSize: Tile);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { Probabilities = true, Overlays = true });

        var clock = Stopwatch.StartNew();
        var result = await engine.SegmentAsync("cells.png", png, null, CancellationToken.None);
        var wall = clock.Elapsed;

        var mask = EngineTestKit.ReadPng(result.MaskFile);
        var probability = EngineTestKit.ReadPng(result.ProbabilityFile!);
        var overlay = EngineTestKit.ReadPng(result.OverlayPng!);
        Assert.Equal((width, height, 1, Enums.BandFormat.Uchar), (mask.Width, mask.Height, mask.Bands, mask.Format));
        Assert.Equal((width, height, 1, Enums.BandFormat.Ushort), (probability.Width, probability.Height, probability.Bands, probability.Format));
        Assert.Equal((width, height, 3, Enums.BandFormat.Uchar), (overlay.Width, overlay.Height, overlay.Bands, overlay.Format));

        // The mask is the probability map at the card's threshold (up to the map's rounding).
        Assert.All(mask.Samples, v => Assert.True(v is 0 or 255, $"mask value {v}"));
        var cut = model.Card.Threshold * 65535.0;
        for (var i = 0; i < mask.Samples.Length; i++)
        {
            if (Math.Abs(probability.Samples[i] - cut) > 1)
            {
                Assert.Equal(probability.Samples[i] >= cut ? 255 : 0, mask.Samples[i]);
            }
        }

        // The summary counts the mask's pixels.
        var foreground = mask.Samples.Count(v => v == 255);
        var summary = Assert.Single(result.Summary.Classes);
        Assert.Equal((width, height), (result.Summary.Width, result.Summary.Height));
        Assert.Equal(foreground, summary.PixelCount);
        Assert.Equal((double)foreground / (width * height), summary.ForegroundFraction, 1e-12);
        Assert.InRange(foreground, width * height / 10, width * height * 9 / 10);
        Assert.True(summary.ObjectCount > 0);

        // The overlay is the image itself wherever the mask is background.
        var original = new ImageDecoder(new ImageDecoderOptions()).DecodePreview("cells.png", png);
        for (var i = 0; i < mask.Samples.Length; i++)
        {
            if (mask.Samples[i] == 0)
            {
                Assert.Equal(original.Pixels.AsSpan(i * 3, 3).ToArray().Select(b => (int)b), overlay.Samples.AsSpan(i * 3, 3).ToArray());
            }
        }

        Assert.NotEqual(original.Pixels.Select(b => (int)b), overlay.Samples);

        var times = result.Times;
        Assert.All(
            new[] { times.Decode, times.Infer, times.Blend, times.PostProcess, times.Encode },
            t => Assert.True(t >= TimeSpan.Zero, $"negative stage time {t}"));
        Assert.True(times.Infer > TimeSpan.Zero);
        Assert.True(times.Total <= wall, $"stages add up to {times.Total}, but the call took {wall}");
    }

    [Fact]
    public async Task OnlyTheMaskIsProducedUnlessMoreIsAskedFor()
    {
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile));

        var result = await engine.SegmentAsync("cells.png", EngineTestKit.Ellipses(70, 50, seed: 16, count: 3), null, CancellationToken.None);

        Assert.NotEmpty(result.MaskFile);
        Assert.Null(result.ProbabilityFile);
        Assert.Null(result.OverlayPng);
        Assert.Null(result.Quality);
        Assert.Equal(2, result.Tiles);
    }

    [Fact]
    public async Task AThreeClassModelLabelsPixelsWithClassIndices()
    {
        const int width = 80, height = 60;
        using var engine = EngineTestKit.Engine(EngineTestKit.Model(tileSize: Tile, classes: 3), new SegmentationOptions { Probabilities = true });

        var result = await engine.SegmentAsync("cells.png", EngineTestKit.Ellipses(width, height, seed: 17, count: 4), null, CancellationToken.None);

        var mask = EngineTestKit.ReadPng(result.MaskFile);
        Assert.Equal((width, height, 1), (mask.Width, mask.Height, mask.Bands));
        Assert.All(mask.Samples, v => Assert.InRange(v, 0, 2));
        Assert.Equal(2, result.Summary.Classes.Count);
        Assert.Equal(mask.Samples.Count(v => v != 0), result.Summary.Classes.Sum(c => c.PixelCount));
        var probability = EngineTestKit.ReadPng(result.ProbabilityFile!);
        Assert.Equal((width, height, 1, Enums.BandFormat.Ushort), (probability.Width, probability.Height, probability.Bands, probability.Format));
    }
}
