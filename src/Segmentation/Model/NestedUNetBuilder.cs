using UNetPP.Cluster.Segmentation.Onnx;
using static UNetPP.Cluster.Segmentation.Model.OnnxGraph;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// Writes the seed NestedUNet as an ONNX graph that any ONNX Runtime (CPU or CUDA) runs on any H × W:
/// initializers carry the PyTorch names, and every head is a graph output so that <see cref="ModeGraph"/>
/// can later choose among them. A card with precision <see cref="ModelCard.Fp16"/> gets weights and
/// activations in float16 between a Cast after the input and a Cast before each head, so the file
/// still takes and gives float32 and the engine's buffers serve both.
/// </summary>
public static class NestedUNetBuilder
{
    public const string InputName = "input";

    /// <summary>The file's producer name, by which a loader knows the graph takes any H × W.</summary>
    public const string ProducerName = "UNetPP.Cluster";

    /// <summary>Opset 17: Shape with start/end and Resize's align_corners are there, and every current runtime has it.</summary>
    public const int Opset = 17;

    public const int IrVersion = 8;

    private const string Scales = "up.scales";
    private const string Zeros = "up.zeros";
    private const string Two = "up.two";

    /// <summary>The head modules' names, which are also the graph's output names.</summary>
    public static IReadOnlyList<string> HeadNames(bool deepSupervision) => NestedUNetLayout.HeadNames(deepSupervision);

    /// <summary>Builds the graph; <paramref name="card"/> defaults to <see cref="ModelCard.ForNestedUNet"/>.</summary>
    public static ModelProto Build(NestedUNetOptions options, NestedUNetWeights weights, ModelCard? card = null)
    {
        options.Validate();
        card ??= ModelCard.ForNestedUNet(options);
        CheckFits(options, weights, card);

        var half = card.Precision == ModelCard.Fp16;
        var graph = new GraphProto { Name = "NestedUNet" };
        graph.Input.Add(FloatValue(InputName, "N", options.InChannels, "H", "W"));
        foreach (var (name, shape) in NestedUNetLayout.Tensors(options))
        {
            graph.Initializer.Add(half ? Float16Tensor(name, shape, weights.Values(name)) : FloatTensor(name, shape, weights.Values(name)));
        }

        // Resize takes its scales as float32 whatever the type of the image it resizes.
        graph.Initializer.Add(FloatTensor(Scales, [4], [1f, 1f, 2f, 2f]));
        graph.Initializer.Add(Int64Tensor(Zeros, 0, 0));
        graph.Initializer.Add(Int64Tensor(Two, 2));

        foreach (var (i, j) in NestedUNetLayout.Nodes())
        {
            string input;
            if (j > 0)
            {
                var up = AddUp(graph, Value(i + 1, j - 1), Value(i, 0), $"up{i + 1}_{j - 1}");
                input = $"cat{i}_{j}";
                graph.Node.Add(Node(
                    "Concat", input, Enumerable.Range(0, j).Select(k => Value(i, k)).Append(up), input, Int("axis", 1)));
            }
            else if (i > 0)
            {
                input = $"pool{i}";
                graph.Node.Add(Node(
                    "MaxPool", input, [Value(i - 1, 0)], input, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)));
            }
            else if (half)
            {
                input = $"{InputName}.fp16";
                graph.Node.Add(Cast(InputName, input, TensorProto.Types.DataType.Float16));
            }
            else
            {
                input = InputName;
            }

            AddVggBlock(graph, NestedUNetLayout.Module(i, j), input, Value(i, j));
        }

        var heads = HeadNames(options.DeepSupervision);
        for (var k = 0; k < heads.Count; k++)
        {
            // With one head it sits on the deepest x0 node, as the seed's `final` does.
            var source = Value(0, options.DeepSupervision ? k + 1 : NestedUNetLayout.Depth);
            var logits = half ? $"{heads[k]}.fp16" : heads[k];
            graph.Node.Add(Node(
                "Conv", logits, [source, $"{heads[k]}.weight", $"{heads[k]}.bias"], logits, Ints("kernel_shape", 1, 1)));
            if (half)
            {
                graph.Node.Add(Cast(logits, heads[k], TensorProto.Types.DataType.Float));
            }

            graph.Output.Add(FloatValue(heads[k], "N", options.Classes, "H", "W"));
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            Domain = "unetpp",
            DocString = "UNet++ (NestedUNet); heads are logits; see metadata unetpp.card.",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        card.WriteTo(model);
        return model;
    }

    private static string Value(int i, int j) => $"x{i}_{j}";

    private static void AddVggBlock(GraphProto graph, string module, string input, string output)
    {
        var current = input;
        for (var k = 1; k <= 2; k++)
        {
            var conv = $"{module}.conv{k}";
            var bn = $"{module}.bn{k}";
            var relu = $"{module}.relu{k}";
            graph.Node.Add(Node(
                "Conv", conv, [current, $"{conv}.weight", $"{conv}.bias"], conv,
                Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)));
            graph.Node.Add(Node(
                "BatchNormalization", bn,
                [conv, $"{bn}.weight", $"{bn}.bias", $"{bn}.running_mean", $"{bn}.running_var"], bn,
                Float("epsilon", 1e-5f)));
            current = k == 2 ? output : relu;
            graph.Node.Add(Node("Relu", relu, [bn], current));
        }
    }

    /// <summary>
    /// The seed's Up: bilinear ×2 with align_corners, then zero padding up to the skip's H × W, split as
    /// [d // 2, d − d // 2]. The difference is taken from Shape at run time because floor pooling makes it
    /// 0 or 1 depending on the image, which is what lets one graph take any size.
    /// </summary>
    private static string AddUp(GraphProto graph, string source, string skip, string name)
    {
        var resized = $"{name}.resize";
        var skipSize = $"{name}.skip_hw";
        var upSize = $"{name}.up_hw";
        var diff = $"{name}.diff";
        var begin = $"{name}.pad_begin";
        var end = $"{name}.pad_end";
        var pads = $"{name}.pads";
        graph.Node.Add(Node(
            "Resize", resized, [source, "", Scales], resized,
            String("mode", "linear"), String("coordinate_transformation_mode", "align_corners")));
        graph.Node.Add(Node("Shape", skipSize, [skip], skipSize, Int("start", 2), Int("end", 4)));
        graph.Node.Add(Node("Shape", upSize, [resized], upSize, Int("start", 2), Int("end", 4)));
        graph.Node.Add(Node("Sub", diff, [skipSize, upSize], diff));
        graph.Node.Add(Node("Div", begin, [diff, Two], begin));
        graph.Node.Add(Node("Sub", end, [diff, begin], end));

        // ONNX pads list every axis's start, then every axis's end: [0, 0, top, left, 0, 0, bottom, right].
        graph.Node.Add(Node("Concat", pads, [Zeros, begin, Zeros, end], pads, Int("axis", 0)));
        graph.Node.Add(Node("Pad", name, [resized, pads], name, String("mode", "constant")));
        return name;
    }

    private static void CheckFits(NestedUNetOptions options, NestedUNetWeights weights, ModelCard card)
    {
        foreach (var (name, shape) in NestedUNetLayout.Tensors(options))
        {
            if (!weights.Names.Contains(name) || !weights.ShapeOf(name).SequenceEqual(shape))
            {
                throw new ArgumentException(
                    $"The weights were made for other options: tensor {name} should have shape [{string.Join(", ", shape)}].",
                    nameof(weights));
            }
        }

        card.Validate();
        if (card.Precision == ModelCard.Int8)
        {
            throw new ArgumentException(
                "An int8 model is not built but quantised from a float32 one (Quantization.ModelQuantizer), on calibration images.", nameof(card));
        }

        if (card.InputName != InputName
            || !card.HeadOutputs.SequenceEqual(HeadNames(options.DeepSupervision))
            || card.InChannels != options.InChannels
            || card.Classes != options.Classes)
        {
            throw new ArgumentException(
                "The card does not describe this network (input name, head outputs, channels or classes differ).",
                nameof(card));
        }
    }
}
