using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// The machine's peak for the kind of work the model does: one large 3×3 convolution (256 channels in
/// and out, 64×64, batch 4, 9.7 G multiply-accumulates a run) in ONNX Runtime with the same threads.
/// The model's own rate against this says how close to the hardware it runs; the same one-convolution
/// graph at a model's own widths and sizes says how close its layers can come.
/// </summary>
internal static class PeakConvolution
{
    private const int Batch = 4;
    private const int Channels = 256;
    private const int Size = 64;

    public static long MultiplyAccumulatesPerRun => (long)Batch * Channels * Channels * 9 * Size * Size;

    /// <summary>Giga multiply-accumulates per second, the best of the runs in <paramref name="minimumRun"/>.</summary>
    public static double Measure(int threads, TimeSpan minimumRun) => Measure(Channels, Size, Batch, threads, minimumRun);

    /// <summary>
    /// The same for one 3×3 convolution of <paramref name="channels"/> in and out on a batch of
    /// <paramref name="batch"/> images of <paramref name="size"/>².
    /// </summary>
    public static double Measure(int channels, int size, int batch, int threads, TimeSpan minimumRun)
    {
        using var session = DeviceSession.Open(Build(channels, size, batch).ToByteArray(), new DeviceSessionOptions { IntraOpThreads = threads }, NullLogger.Instance);
        var input = new float[batch * channels * size * size];
        var random = new Random(3);
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)(random.NextDouble() - 0.5);
        }

        var output = new float[input.Length];
        session.Run(input, output, batch, channels, channels, size, size);
        var best = TimeSpan.MaxValue;
        var total = Stopwatch.StartNew();
        for (var runs = 0; runs < 3 || total.Elapsed < minimumRun; runs++)
        {
            var run = Stopwatch.StartNew();
            session.Run(input, output, batch, channels, channels, size, size);
            best = run.Elapsed < best ? run.Elapsed : best;
        }

        return (double)batch * channels * channels * 9 * size * size / best.TotalSeconds / 1e9;
    }

    private static ModelProto Build(int channels, int size, int batch)
    {
        var random = new Random(4);
        var weights = new float[channels * channels * 9];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)((random.NextDouble() - 0.5) * 0.05);
        }

        var graph = new GraphProto { Name = "peak-convolution" };
        graph.Initializer.Add(OnnxGraph.FloatTensor("weight", [channels, channels, 3, 3], weights));
        graph.Initializer.Add(OnnxGraph.FloatTensor("bias", [channels], new float[channels]));
        graph.Node.Add(OnnxGraph.Node("Conv", "conv", ["input", "weight", "bias"], "output", OnnxGraph.Ints("pads", 1, 1, 1, 1), OnnxGraph.Ints("kernel_shape", 3, 3)));
        graph.Input.Add(OnnxGraph.FloatValue("input", batch, channels, size, size));
        graph.Output.Add(OnnxGraph.FloatValue("output", batch, channels, size, size));
        return new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } } };
    }
}
