using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Tests.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>Unusable input is refused by name, alone: the images beside it are segmented as usual.</summary>
public sealed class EngineRejectionTests
{
    private const int Tile = 64;

    [Fact]
    public async Task BadImagesAreRefusedByNameWhileGoodImagesInFlightSucceed()
    {
        var model = EngineTestKit.Amplified(EngineTestKit.Ellipses(Tile, Tile, seed: 23, count: 3), seed: 5, tileSize: Tile);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { MaxPixels = 100 * 100 });
        var good = new[]
        {
            (Name: "good/a.png", Png: EngineTestKit.Ellipses(90, 70, seed: 1, count: 4)),
            (Name: "good/b.png", Png: EngineTestKit.Ellipses(64, 64, seed: 2, count: 3)),
            (Name: "good/c.png", Png: EngineTestKit.Ellipses(100, 100, seed: 3, count: 5)),
        };
        var whole = good[0].Png;
        var bad = new (string Name, byte[] Bytes, string Reason)[]
        {
            ("bad/truncated.png", whole[..(whole.Length / 2)], "truncated or corrupt"),
            ("bad/empty.png", [], "empty"),
            ("bad/notes.png", "these are notes, not pixels\n"u8.ToArray(), "not a PNG, JPEG or TIFF"),
            ("bad/too-large.png", EngineTestKit.Ellipses(101, 100, seed: 4), "exceeds the limit"),
            ("bad/five-bands.tif", TestImages.Tiff(TestImages.Ramp(64 * 64 * 5), 64, 64, 5), "5 channels, but the model takes 3"),
        };
        var expected = new List<byte[]>();
        foreach (var (name, png) in good)
        {
            expected.Add((await engine.SegmentAsync(name, png, null, CancellationToken.None)).MaskFile);
        }

        var goodRuns = good.Select(g => Task.Run(() => engine.SegmentAsync(g.Name, g.Png, null, CancellationToken.None))).ToArray();
        var badRuns = bad.Select(b => Task.Run(() => engine.SegmentAsync(b.Name, b.Bytes, null, CancellationToken.None))).ToArray();
        await Task.WhenAll(goodRuns.Concat<Task>(badRuns).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        for (var k = 0; k < bad.Length; k++)
        {
            var refused = await Assert.ThrowsAsync<ImageRejectedException>(() => badRuns[k]);
            Assert.Equal(bad[k].Name, refused.ImageName);
            Assert.StartsWith($"{bad[k].Name}: ", refused.Message, StringComparison.Ordinal);
            Assert.Contains(bad[k].Reason, refused.Message, StringComparison.Ordinal);
        }

        for (var k = 0; k < good.Length; k++)
        {
            var result = await goodRuns[k];
            Assert.Equal(good[k].Name, result.Name);
            Assert.True(expected[k].AsSpan().SequenceEqual(result.MaskFile), $"{good[k].Name}: the mask differs next to refused images.");
        }
    }

    [Fact]
    public async Task AGroundTruthThatCannotBeReadIsRefusedByItsOwnName()
    {
        var model = EngineTestKit.Model(tileSize: Tile);
        using var engine = EngineTestKit.Engine(model);
        var png = EngineTestKit.Ellipses(Tile, Tile, seed: 5, count: 3);

        var refused = await Assert.ThrowsAsync<ImageRejectedException>(
            () => engine.SegmentAsync("image.png", png, new GroundTruth("truth/broken.png", [0x89, (byte)'P', (byte)'N', (byte)'G']), CancellationToken.None));

        Assert.Equal("truth/broken.png", refused.ImageName);
        Assert.StartsWith("truth/broken.png: ", refused.Message, StringComparison.Ordinal);
    }
}
