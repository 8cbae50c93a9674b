using UNetPP.Cluster.Segmentation.Model;
using static TorchSharp.torch;
using static UNetPP.Cluster.Training.Tests.TrainingTestKit;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>
/// The TorchSharp module trains what the engine runs: its weights, saved as safetensors and built into ONNX,
/// give the same heads on ONNX Runtime as the module itself in eval mode.
/// </summary>
public sealed class NestedUNetParityTests
{
    private const float Tolerance = 1e-4f;

    [Theory]
    [InlineData(true, 96, 96)]
    [InlineData(true, 256, 256)]
    [InlineData(true, 97, 131)]
    [InlineData(false, 96, 96)]
    [InlineData(false, 256, 256)]
    [InlineData(false, 97, 131)]
    public void SmallModelHeadsMatchOnnxRuntime(bool deepSupervision, int height, int width) =>
        AssertHeadsMatch(Small(deepSupervision), batch: 2, height, width);

    [Fact]
    public void DefaultWidthModelHeadsMatchOnnxRuntime() =>
        AssertHeadsMatch(new NestedUNetOptions(), batch: 1, 96, 96);

    private static void AssertHeadsMatch(NestedUNetOptions options, int batch, int height, int width)
    {
        using var module = NestedUNet.FromWeights(NestedUNetWeights.CreateInitial(options, seed: 3));
        RandomizeBatchNorm(module, seed: 5);
        module.eval();

        var path = Path.Combine(TempDirectory(), "weights.safetensors");
        module.ToWeights().SaveSafetensors(path);
        var onnx = NestedUNetBuilder.Build(options, NestedUNetWeights.LoadSafetensors(path, options));

        random.manual_seed(11);
        using var input = (rand(batch, options.InChannels, height, width) * 4) - 2;
        var heads = NestedUNetBuilder.HeadNames(options.DeepSupervision);
        var actual = RunOnnx(onnx, input, heads);

        using var noGrad = no_grad();
        var expected = module.call(input);
        try
        {
            Assert.Equal(heads.Count, expected.Count);
            for (var k = 0; k < heads.Count; k++)
            {
                Assert.Equal([batch, options.Classes, height, width], expected[k].shape);
                var values = expected[k].data<float>().ToArray();
                Assert.True(values.Max(Math.Abs) > 1e-2f, $"{heads[k]} is too flat to compare");
                var difference = values.Zip(actual[k], (a, b) => Math.Abs(a - b)).Max();
                Assert.True(difference <= Tolerance, $"{heads[k]} differs by {difference} (tolerance {Tolerance})");
            }
        }
        finally
        {
            foreach (var head in expected)
            {
                head.Dispose();
            }
        }
    }
}
