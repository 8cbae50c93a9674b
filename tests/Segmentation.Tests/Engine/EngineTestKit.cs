using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using NetVips;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Tests.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Engine;

/// <summary>Small models, structured images and a whole-image reference for the engine tests.</summary>
internal static class EngineTestKit
{
    public static readonly IReadOnlyList<int> SmallFilters = [4, 8, 16, 32, 64];

    /// <summary>One operator thread: the test machine is shared, and tests run side by side.</summary>
    public static readonly DeviceSessionOptions Cpu = new() { IntraOpThreads = 1 };

    /// <summary>A small NestedUNet with initial weights, wrapped as if loaded from <paramref name="path"/>.</summary>
    public static LoadedModel Model(
        bool deepSupervision = false, int tileSize = 64, int seed = 3, int inChannels = 3, int classes = 1, string path = "models/small.onnx") =>
        Model(Weights(deepSupervision, seed, inChannels, classes), tileSize, path);

    public static NestedUNetWeights Weights(bool deepSupervision = false, int seed = 3, int inChannels = 3, int classes = 1) =>
        NestedUNetWeights.CreateInitial(
            new NestedUNetOptions { Filters = SmallFilters, InChannels = inChannels, Classes = classes, DeepSupervision = deepSupervision },
            seed);

    public static LoadedModel Model(NestedUNetWeights weights, int tileSize = 64, string path = "models/small.onnx")
    {
        var card = ModelCard.ForNestedUNet(weights.Options) with { TileSize = tileSize };
        return new LoadedModel(path, NestedUNetBuilder.Build(weights.Options, weights, card), card);
    }

    /// <summary>
    /// A one-head, one-class model whose initial weights answer <paramref name="image"/> with an almost
    /// constant probability (a random network's logits differ by thousandths) rescaled so that, on that
    /// image, its logits spread over about ±<paramref name="halfRange"/> around their median: the head's
    /// weights are multiplied by s and its bias moved, logit' = s · (logit − median). The network is the
    /// same function up to that affine map, so tiling errors grow with it exactly as the signal does.
    /// </summary>
    public static LoadedModel Amplified(byte[] image, int seed = 3, int tileSize = 64, float halfRange = 4f)
    {
        var weights = Weights(seed: seed);
        var probabilities = WholeImage(Model(weights, tileSize), InferenceMode.L4, image, out _, out _);
        var logits = probabilities.Select(p => MathF.Log(p / (1 - p))).Order().ToArray();
        var median = logits[logits.Length / 2];
        var spread = logits[logits.Length * 99 / 100] - logits[logits.Length / 100];
        var scale = 2 * halfRange / spread;
        var head = weights.Values("final.weight");
        for (var i = 0; i < head.Length; i++)
        {
            head[i] *= scale;
        }

        var bias = weights.Values("final.bias");
        bias[0] = scale * (bias[0] - median);
        return Model(weights, tileSize);
    }

    /// <summary>
    /// A softmax model of <paramref name="classes"/> whose argmax varies over <paramref name="image"/>:
    /// initial weights favour one class everywhere, so each class's logit is shifted by the median of
    /// its log-odds against background on that image and all logits are scaled to spread about
    /// ±<paramref name="halfRange"/>. The network is the same function up to that affine map.
    /// </summary>
    public static LoadedModel Balanced(byte[] image, int classes, int seed = 7, int tileSize = 64, float halfRange = 4f)
    {
        var weights = Weights(seed: seed, classes: classes);
        var probabilities = WholeImage(Model(weights, tileSize), InferenceMode.L4, image, out var width, out var height);
        var plane = width * height;
        var shifts = new float[classes];
        var spread = 0f;
        for (var k = 1; k < classes; k++)
        {
            var odds = Enumerable.Range(0, plane).Select(i => MathF.Log(probabilities[(k * plane) + i] / probabilities[i])).Order().ToArray();
            shifts[k] = odds[plane / 2];
            spread = Math.Max(spread, odds[plane * 99 / 100] - odds[plane / 100]);
        }

        var scale = 2 * halfRange / spread;
        var head = weights.Values("final.weight");
        for (var i = 0; i < head.Length; i++)
        {
            head[i] *= scale;
        }

        var bias = weights.Values("final.bias");
        for (var k = 0; k < classes; k++)
        {
            bias[k] = scale * (bias[k] - shifts[k]);
        }

        return Model(weights, tileSize);
    }

    /// <summary>Otsu's threshold of <paramref name="values"/> in [0, 1] (256 bins): the split that best separates two groups.</summary>
    public static float Otsu(ReadOnlySpan<float> values)
    {
        var histogram = new long[256];
        foreach (var v in values)
        {
            histogram[Math.Clamp((int)(v * 256), 0, 255)]++;
        }

        double total = values.Length, sum = 0;
        for (var i = 0; i < 256; i++)
        {
            sum += i * (double)histogram[i];
        }

        double weightBelow = 0, sumBelow = 0, best = -1;
        var split = 128;
        for (var i = 0; i < 256; i++)
        {
            weightBelow += histogram[i];
            if (weightBelow == 0 || weightBelow == total)
            {
                continue;
            }

            sumBelow += i * (double)histogram[i];
            var meanBelow = sumBelow / weightBelow;
            var meanAbove = (sum - sumBelow) / (total - weightBelow);
            var between = weightBelow * (total - weightBelow) * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (between > best)
            {
                best = between;
                split = i + 1;
            }
        }

        return split / 256f;
    }

    /// <summary><paramref name="model"/> with its input's height and width fixed at <paramref name="size"/>, as some exported graphs have them.</summary>
    public static LoadedModel FixedSize(LoadedModel model, int size)
    {
        var copy = model with { Model = model.Model.Clone() };
        foreach (var dim in copy.Model.Graph.Input.Single().Type.TensorType.Shape.Dim.Skip(2))
        {
            dim.DimValue = size;
        }

        return copy;
    }

    public static SegmentationEngine Engine(LoadedModel model, SegmentationOptions? options = null) =>
        SegmentationEngine.Create(model, (options ?? new SegmentationOptions()) with { Device = Cpu }, NullLogger.Instance);

    /// <summary>
    /// A dark RGB image with bright, slightly tinted ellipses at deterministic places: structure for the
    /// network to respond to, with edges running in every direction.
    /// </summary>
    public static byte[] Ellipses(int width, int height, int seed, int count = 9)
    {
        var random = new Random(seed);
        var ellipses = Enumerable.Range(0, count).Select(_ => (
            Cx: random.NextDouble() * width,
            Cy: random.NextDouble() * height,
            Rx: 6 + (random.NextDouble() * width / 6),
            Ry: 6 + (random.NextDouble() * height / 6),
            Level: 150 + random.Next(100))).ToArray();
        var samples = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var value = 20 + ((x * 7 + y * 13) % 11);
                foreach (var e in ellipses)
                {
                    var dx = (x - e.Cx) / e.Rx;
                    var dy = (y - e.Cy) / e.Ry;
                    if ((dx * dx) + (dy * dy) <= 1)
                    {
                        value = Math.Max(value, e.Level);
                    }
                }

                var p = ((y * width) + x) * 3;
                samples[p] = (byte)value;
                samples[p + 1] = (byte)Math.Max(0, value - 30);
                samples[p + 2] = (byte)Math.Min(255, value + 5);
            }
        }

        return TestImages.Png(samples, width, height, 3);
    }

    /// <summary>
    /// What the engine should approximate: the mode's graph run once on the whole decoded image,
    /// returning the probabilities [K, H, W].
    /// </summary>
    public static float[] WholeImage(LoadedModel model, InferenceMode mode, byte[] image, out int width, out int height)
    {
        var tensor = new ImageDecoder(new ImageDecoderOptions()).Decode("reference", image, model.Card.ToInputSpec());
        var graph = ModeGraph.Select(model.Model, model.Card, mode);
        using var session = DeviceSession.Open(graph.ToByteArray(), Cpu, NullLogger.Instance);
        var output = new float[model.Card.Classes * tensor.Height * tensor.Width];
        session.Run(tensor.Data, output, 1, tensor.Channels, model.Card.Classes, tensor.Height, tensor.Width);
        (width, height) = (tensor.Width, tensor.Height);
        return output;
    }

    /// <summary>Decodes a PNG produced by the engine: its size, bands, bits and samples (as integers).</summary>
    public static (int Width, int Height, int Bands, Enums.BandFormat Format, int[] Samples) ReadPng(byte[] png)
    {
        using var image = Image.PngloadBuffer(png);
        int[] samples = image.Format == Enums.BandFormat.Ushort
            ? [.. image.WriteToMemory<ushort>().Select(s => (int)s)]
            : [.. image.WriteToMemory<byte>().Select(b => (int)b)];
        return (image.Width, image.Height, image.Bands, image.Format, samples);
    }
}
