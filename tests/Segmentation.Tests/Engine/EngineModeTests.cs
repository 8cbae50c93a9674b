using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>The engine runs the head the mode names, and refuses modes the model lacks by file name.</summary>
public sealed class EngineModeTests
{
    private const int Tile = 64;

    [Theory]
    [InlineData(InferenceMode.L1)]
    [InlineData(InferenceMode.L4)]
    [InlineData(InferenceMode.Accurate)]
    public async Task EachModeGivesItsOwnHeadsWholeImageResult(InferenceMode mode)
    {
        var model = EngineTestKit.Model(deepSupervision: true, tileSize: Tile, path: "models/deep.onnx");
        var png = EngineTestKit.Ellipses(Tile, Tile, seed: 6, count: 3);
        using var engine = EngineTestKit.Engine(model, new SegmentationOptions { Mode = mode, Probabilities = true });

        var result = await engine.SegmentAsync("image.png", png, null, CancellationToken.None);

        Assert.Equal(mode, engine.Mode);
        var probabilities = EngineTestKit.ReadPng(result.ProbabilityFile!).Samples;
        var reference = EngineTestKit.WholeImage(model, mode, png, out _, out _);
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.InRange(probabilities[i] - (reference[i] * 65535.0), -0.51, 0.51);
        }
    }

    [Fact]
    public async Task L1AndL4DifferOnADeeplySupervisedModel()
    {
        var model = EngineTestKit.Model(deepSupervision: true, tileSize: Tile, path: "models/deep.onnx");
        var png = EngineTestKit.Ellipses(100, 90, seed: 6, count: 4);
        using var l1 = EngineTestKit.Engine(model, new SegmentationOptions { Mode = InferenceMode.L1, Probabilities = true });
        using var l4 = EngineTestKit.Engine(model, new SegmentationOptions { Mode = InferenceMode.L4, Probabilities = true });

        var fast = await l1.SegmentAsync("image.png", png, null, CancellationToken.None);
        var full = await l4.SegmentAsync("image.png", png, null, CancellationToken.None);

        Assert.Equal((100, 90), (fast.Width, fast.Height));
        var a = EngineTestKit.ReadPng(fast.ProbabilityFile!).Samples;
        var b = EngineTestKit.ReadPng(full.ProbabilityFile!).Samples;
        var differing = a.Zip(b).Count(p => Math.Abs(p.First - p.Second) > 65);
        Assert.True(differing > a.Length / 2, $"only {differing} of {a.Length} probabilities differ by more than 0.001 between L1 and L4");
    }

    [Theory]
    [InlineData(InferenceMode.L1)]
    [InlineData(InferenceMode.L2)]
    [InlineData(InferenceMode.L3)]
    [InlineData(InferenceMode.Accurate)]
    public void AModelWithoutDeepSupervisionRefusesOtherModesNamingTheFile(InferenceMode mode)
    {
        var model = EngineTestKit.Model(deepSupervision: false, tileSize: Tile, path: "models/plain.onnx");

        var refused = Assert.Throws<ModelException>(() => EngineTestKit.Engine(model, new SegmentationOptions { Mode = mode }));

        Assert.StartsWith("models/plain.onnx: ", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"mode {mode.ToName()} is not available", refused.Message, StringComparison.Ordinal);
        Assert.Contains("offers L4", refused.Message, StringComparison.Ordinal);
    }
}
