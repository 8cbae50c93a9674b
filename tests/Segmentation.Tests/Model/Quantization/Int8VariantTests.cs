using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Model.Quantization;
using UNetPP.Cluster.Segmentation.Onnx;
using UNetPP.Cluster.Segmentation.Tests.Engine;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Segmentation.Tests.Model.Quantization;

/// <summary>The shipped model quantised once on the sample images (a few tiles, so that it is quick), shared by the tests.</summary>
public sealed class QuantizedDefaultModel
{
    public const int Tiles = 8;

    public QuantizedDefaultModel()
    {
        FloatModel = DefaultModel.Load();
        Result = ModelQuantizer.Quantize(FloatModel, Samples("images"), new QuantizationOptions { Tiles = Tiles });
        var path = Path.Combine(ModelTestKit.TempDirectory(), "nuclei-unetpp.int8.onnx");
        ModelFile.Save(Result.Model, path);
        Int8Model = ModelFile.Load(path);
    }

    public LoadedModel FloatModel { get; }

    public QuantizedModel Result { get; }

    /// <summary>The int8 file as saved and read back.</summary>
    public LoadedModel Int8Model { get; }

    public static string Samples(string folder) => Path.Combine(AppContext.BaseDirectory, "samples", folder);
}

/// <summary>
/// The int8 variant of the shipped model against its float32 original: what the file holds, that ONNX
/// Runtime fuses it into integer operators, and that every mode segments the sample images as the float
/// file does. Speed is measured in bench/ (unetpp-bench run), not here.
/// </summary>
public sealed class Int8VariantTests(QuantizedDefaultModel quantized, ITestOutputHelper output) : IClassFixture<QuantizedDefaultModel>
{
    [Fact]
    public void TheInt8FileHasQdqNodesInt8WeightsFloatHeadsAndACardThatSaysSo()
    {
        var graph = quantized.Int8Model.Model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n, StringComparer.Ordinal);
        var convs = graph.Node.Where(n => n.OpType == "Conv").ToList();
        var heads = quantized.Int8Model.Card.HeadOutputs;

        Assert.Contains(graph.Node, n => n.OpType == "QuantizeLinear");
        Assert.Contains(graph.Node, n => n.OpType == "DequantizeLinear");
        Assert.DoesNotContain(graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Equal(quantized.Result.Summary.QuantizedConvs, graph.Initializer.Count(t => t.DataType == (int)TensorProto.Types.DataType.Int8 && t.Dims.Count == 4));
        Assert.Equal(34, convs.Count);
        Assert.Equal(29, quantized.Result.Summary.QuantizedConvs);
        Assert.Equal(30, quantized.Result.BatchNormsFolded);

        // The heads, and the first convolution on the image, read float32 weights directly; every other Conv reads int8 ones through a DequantizeLinear.
        foreach (var conv in convs)
        {
            var floatWeights = initializers.TryGetValue(conv.Input[1], out var weight) && weight.DataType == (int)TensorProto.Types.DataType.Float;
            var isEdge = heads.Contains(conv.Output[0]) || conv.Input[0] == quantized.Int8Model.Card.InputName;
            Assert.Equal(isEdge, floatWeights);
            if (!isEdge)
            {
                var dequantize = producers[conv.Input[1]];
                Assert.Equal("DequantizeLinear", dequantize.OpType);
                Assert.Equal((int)TensorProto.Types.DataType.Int8, initializers[dequantize.Input[0]].DataType);
                Assert.Equal("DequantizeLinear", producers[conv.Input[0]].OpType);
            }
        }

        Assert.All(graph.Input.Concat(graph.Output), v => Assert.Equal((int)TensorProto.Types.DataType.Float, v.Type.TensorType.ElemType));
        Assert.Equal(ModelCard.Int8, quantized.Int8Model.Card.Precision);
        Assert.Equal(
            // 8 of the samples' 12 tiles, evenly spaced, fall in 4 of the 6 images.
            new CalibrationRecord { Method = RangeMethods.Percentile, Percentile = 99.99, Images = 4, Tiles = QuantizedDefaultModel.Tiles },
            quantized.Int8Model.Card.Calibration);
        Assert.True(new FileInfo(quantized.Int8Model.Path).Length < new FileInfo(quantized.FloatModel.Path).Length / 3);
    }

    [Fact]
    public void OnnxRuntimeFusesEveryQuantisedConvolutionIntoQLinearConv()
    {
        var selected = ModeGraph.Select(quantized.Int8Model.Model, quantized.Int8Model.Card, InferenceMode.L4);
        var optimised = Path.Combine(ModelTestKit.TempDirectory(), "optimised.onnx");
        using (var options = new SessionOptions { OptimizedModelFilePath = optimised, IntraOpNumThreads = 1 })
        using (new InferenceSession(selected.ToByteArray(), options))
        {
        }

        var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimised)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(string.Join(", ", ops.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));

        // L4 holds every quantised Conv; the float ones left are the first (on the image) and the L4 head.
        Assert.Equal(quantized.Result.Summary.QuantizedConvs, ops.GetValueOrDefault("QLinearConv"));
        Assert.Equal(2, ops.GetValueOrDefault("Conv"));
        Assert.Equal(10, ops.GetValueOrDefault("QLinearConcat"));
    }

    [Fact]
    public async Task EveryModeSegmentsTheSamplesAsTheFloatFileDoes()
    {
        var images = Directory.GetFiles(QuantizedDefaultModel.Samples("images")).Order(StringComparer.Ordinal).ToList();
        var decoder = new ImageDecoder(new ImageDecoderOptions());
        foreach (var mode in quantized.Int8Model.Card.Modes.Select(InferenceModes.Parse))
        {
            async Task<(double IoU, byte[][] Masks)> SegmentAsync(LoadedModel model)
            {
                using var engine = EngineTestKit.Engine(model, new SegmentationOptions { Mode = mode });
                var masks = new byte[images.Count][];
                double iou = 0;
                for (var i = 0; i < images.Count; i++)
                {
                    var name = Path.GetFileName(images[i]);
                    var truth = new GroundTruth(name, File.ReadAllBytes(Path.Combine(QuantizedDefaultModel.Samples("masks"), name)));
                    var result = await engine.SegmentAsync(name, File.ReadAllBytes(images[i]), truth, CancellationToken.None);
                    iou += result.Quality!.Single().IoU;
                    masks[i] = decoder.DecodeGray8(name, result.MaskFile).Pixels;
                }

                return (iou / images.Count, masks);
            }

            var fp32 = await SegmentAsync(quantized.FloatModel);
            var int8 = await SegmentAsync(quantized.Int8Model);
            var (both, either) = (0L, 0L);
            foreach (var (a, b) in fp32.Masks.Zip(int8.Masks).SelectMany(p => p.First.Zip(p.Second)))
            {
                both += a > 0 && b > 0 ? 1 : 0;
                either += a > 0 || b > 0 ? 1 : 0;
            }

            var agreement = (double)both / either;
            output.WriteLine($"{mode.ToName()}: IoU against the truth {fp32.IoU:F4} fp32, {int8.IoU:F4} int8; int8 mask against fp32 mask IoU {agreement:F4}");
            Assert.InRange(agreement, 0.98, 1);
            Assert.InRange(Math.Abs(int8.IoU - fp32.IoU), 0, 0.01);
        }
    }

    [Fact]
    public void TheCardRoundTripsInt8AndItsCalibration()
    {
        var card = quantized.Int8Model.Card;
        var json = card.ToJson();

        Assert.Contains("\"precision\": \"int8\"", json, StringComparison.Ordinal);
        Assert.Contains("\"calibration\"", json, StringComparison.Ordinal);
        Assert.Equal(json, ModelCard.FromJson(json).ToJson());
        var entropy = card with { Calibration = new CalibrationRecord { Method = RangeMethods.Entropy, Images = 2, Tiles = 40 } };
        Assert.Equal(entropy.Calibration, ModelCard.FromJson(entropy.ToJson()).Calibration);
        Assert.DoesNotContain("\"percentile\":", entropy.ToJson(), StringComparison.Ordinal);
        Assert.Null(ModelCard.FromJson(quantized.FloatModel.Card.ToJson()).Calibration);
    }

    [Theory]
    [InlineData("{\"precision\": \"int8\"}", "needs the calibration")]
    [InlineData("{\"calibration\": {\"method\": \"percentile\", \"percentile\": 99.9, \"images\": 1, \"tiles\": 1}}", "calibration belongs to precision 'int8'")]
    [InlineData("{\"precision\": \"int8\", \"calibration\": {\"method\": \"minmax\", \"images\": 1, \"tiles\": 1}}", "method must be")]
    [InlineData("{\"precision\": \"int8\", \"calibration\": {\"method\": \"percentile\", \"images\": 1, \"tiles\": 1}}", "needs its percentile")]
    [InlineData("{\"precision\": \"int8\", \"calibration\": {\"method\": \"entropy\", \"images\": 0, \"tiles\": 1}}", "must be positive")]
    [InlineData("{\"precision\": \"int8\", \"calibration\": {\"method\": \"entropy\", \"images\": 1, \"tiles\": 1, \"tile\": 3}}", "unknown key 'calibration.tile'")]
    public void CardsWhoseInt8PartCannotBeRightAreRefused(string json, string reason)
    {
        var text = "{\"architecture\": \"exported\"," + json[1..];
        var error = Assert.Throws<InvalidDataException>(() => ModelCard.FromJson(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheQuantisedFileIsRefusedForQuantisingAgain()
    {
        var error = Assert.Throws<ModelException>(() => ModelQuantizer.Quantize(quantized.Int8Model, QuantizedDefaultModel.Samples("images"), new QuantizationOptions { Tiles = 1 }));
        Assert.Equal($"{quantized.Int8Model.Path}: is already quantised (int8); quantise the float32 model it was made from", error.Message);
    }

    [Fact]
    public void AFloat16ModelIsRefused()
    {
        var options = ModelTestKit.Small();
        var path = Path.Combine(ModelTestKit.TempDirectory(), "half.onnx");
        ModelFile.Save(NestedUNetBuilder.Build(options, ModelTestKit.Weights(options), ModelCard.ForNestedUNet(options) with { Precision = ModelCard.Fp16 }), path);

        var error = Assert.Throws<ModelException>(() => ModelQuantizer.Quantize(ModelFile.Load(path), QuantizedDefaultModel.Samples("images"), new QuantizationOptions { Tiles = 1 }));
        Assert.StartsWith($"{path}: is float16 (fp16)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyCalibrationFolderIsRefusedByName()
    {
        var folder = ModelTestKit.TempDirectory();
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not an image");

        var error = Assert.Throws<InvalidDataException>(() => ModelQuantizer.Quantize(quantized.FloatModel, folder, new QuantizationOptions { Tiles = 1 }));
        Assert.Equal($"{folder}: the calibration folder holds no images (PNG, JPEG or TIFF)", error.Message);
    }

    [Fact]
    public void AnUnreadableCalibrationImageIsRefusedByName()
    {
        var folder = ModelTestKit.TempDirectory();
        File.Copy(Path.Combine(QuantizedDefaultModel.Samples("images"), "nuclei-000.png"), Path.Combine(folder, "a.png"));
        var broken = Path.Combine(folder, "b.png");
        File.WriteAllBytes(broken, [1, 2, 3, 4, 5, 6, 7, 8]);

        var error = Assert.Throws<ImageRejectedException>(() => ModelQuantizer.Quantize(quantized.FloatModel, folder, new QuantizationOptions { Tiles = 1 }));
        Assert.Equal(broken, error.ImageName);
        Assert.StartsWith($"{broken}: ", error.Message, StringComparison.Ordinal);
    }
}
