using System.Diagnostics;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Training;
using static TorchSharp.torch;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// The seed's own runtime: its NestedUNet as a PyTorch module (TorchSharp, on libtorch) in eager mode,
/// eval and no-grad, on the same weights, tiles and threads as ONNX Runtime. Eager computes the whole
/// network and every head, as the seed's inference does.
/// </summary>
internal static class TorchEager
{
    public static double Measure(NestedUNetWeights weights, int channels, int tile, int batch, int threads, TimeSpan minimumRun)
    {
        set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
        using var model = NestedUNet.FromWeights(weights);
        model.eval();
        using var noGrad = no_grad();
        manual_seed(5);
        using var input = randn(batch, channels, tile, tile);
        Forward(model, input);
        var runs = 0;
        var clock = Stopwatch.StartNew();
        while (runs < 2 || clock.Elapsed < minimumRun)
        {
            Forward(model, input);
            runs++;
        }

        return runs * batch / clock.Elapsed.TotalSeconds;
    }

    private static void Forward(NestedUNet model, Tensor input)
    {
        // The heads are released at once: on the CPU, eager work is done when forward returns.
        using var scope = NewDisposeScope();
        model.forward(input);
    }
}
