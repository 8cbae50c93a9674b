using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;
using UNetPP.Cluster.Segmentation.Tests.Engine;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

/// <summary>
/// The float16 variant against float32 on the same weights and tiles. These machines have no GPU, and
/// ONNX Runtime 1.31's CPU execution provider (x86-64) has no float16 kernel for Conv,
/// BatchNormalization, Relu, MaxPool, Resize, Pad or Sigmoid (Concat and Cast have one): it puts Casts
/// to float32 around those nodes, and its optimiser then folds each BatchNormalization into its
/// convolution, turns the float16 weights into float32 initializers and drops the Casts that cancel,
/// the one after the input with them. On the CPU the fp16 file therefore computes in float32 on weights
/// rounded to float16: that is measured as it is. Float16 activations are measured with the C#
/// reference, which rounds the input and every stored activation to float16 as well as the weights.
/// Neither measures a GPU kernel that also accumulates in float16.
/// </summary>
public sealed class Fp16VariantTests(ITestOutputHelper output)
{
    [Fact]
    public void TheFp16FileHasHalfWeightsFloatEdgesAndACardThatSaysSo()
    {
        var options = ModelTestKit.Small();
        var card = ModelCard.ForNestedUNet(options) with { Precision = ModelCard.Fp16 };
        var path = Path.Combine(ModelTestKit.TempDirectory(), "half.onnx");
        ModelFile.Save(NestedUNetBuilder.Build(options, ModelTestKit.Weights(options), card), path);

        var loaded = ModelFile.Load(path);
        var graph = loaded.Model.Graph;
        var weights = NestedUNetLayout.Tensors(options).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(ModelCard.Fp16, loaded.Card.Precision);
        Assert.All(graph.Input.Concat(graph.Output), v => Assert.Equal((int)TensorProto.Types.DataType.Float, v.Type.TensorType.ElemType));
        Assert.All(graph.Initializer.Where(t => weights.Contains(t.Name)), t => Assert.Equal((int)TensorProto.Types.DataType.Float16, t.DataType));
        var selected = ModeGraph.Select(loaded.Model, loaded.Card, InferenceMode.Accurate);
        Assert.Equal((int)TensorProto.Types.DataType.Float, selected.Graph.Output.Single().Type.TensorType.ElemType);
    }

    [Fact]
    public void OnTheCpuOnnxRuntimeRunsTheFp16FileInFloat32()
    {
        var options = ModelTestKit.Small();
        var model = NestedUNetBuilder.Build(options, ModelTestKit.Weights(options), ModelCard.ForNestedUNet(options) with { Precision = ModelCard.Fp16 });
        var optimised = Path.Combine(ModelTestKit.TempDirectory(), "optimised.onnx");
        using (var sessionOptions = new SessionOptions { OptimizedModelFilePath = optimised, IntraOpNumThreads = 1 })
        using (new InferenceSession(model.ToByteArray(), sessionOptions))
        {
        }

        // What the figures below mean on the CPU rests on this: should a later ONNX Runtime run float16
        // kernels here, this fails, and the CPU figures start to include float16 activations.
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimised)).Graph;
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, n.OpType))).ToLookup(c => c.Input, c => c.OpType, StringComparer.Ordinal);
        Assert.DoesNotContain(graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Float16);
        Assert.All(graph.Node.Where(n => n.OpType == "Cast"), cast => Assert.All(consumers[cast.Output[0]], op => Assert.Equal("Shape", op)));
    }

    [Fact]
    public void WithSeededWeightsFp16ProbabilitiesAndMasksStayCloseToFp32()
    {
        var image = EngineTestKit.Ellipses(128, 128, seed: 5);
        var model = EngineTestKit.Amplified(image, tileSize: 64);
        var figures = Compare(model, image, tile: 64);

        // Rescaled initial weights put the threshold at the median logit, so many pixels sit on it and
        // masks agree less than on a trained model, whose pixels mostly lie far from it.
        output.WriteLine($"seeded weights, 4 tiles of 64: {figures}");
        figures.AssertWithin(maxDifference: 1e-2f, minAgreement: 0.98);
    }

    [Fact]
    public void OnTheTrainedModelFp16ProbabilitiesAndMasksStayCloseToFp32()
    {
        var figures = Compare(DefaultModel.Load(), File.ReadAllBytes(Sample("images")), tile: 128);

        output.WriteLine($"trained nuclei model, 4 tiles of 128: {figures}");
        figures.AssertWithin(maxDifference: 3e-2f, minAgreement: 0.9995);
    }

    [Fact]
    public async Task TheEngineSegmentsWithTheFp16FileAsWellAsWithFp32()
    {
        var full = DefaultModel.Load();
        var weights = WeightsOf(full);
        var card = full.Card with { Precision = ModelCard.Fp16 };
        var half = new LoadedModel("models/nuclei-unetpp-fp16.onnx", NestedUNetBuilder.Build(weights.Options, weights, card), card);
        var image = File.ReadAllBytes(Sample("images"));
        var truth = new GroundTruth("field-000 mask", File.ReadAllBytes(Sample("masks")));

        async Task<SegmentedImage> SegmentAsync(LoadedModel model)
        {
            using var engine = EngineTestKit.Engine(model, new SegmentationOptions { TileSize = 128 });
            return await engine.SegmentAsync("field-000.png", image, truth, CancellationToken.None);
        }

        var fp32 = await SegmentAsync(full);
        var fp16 = await SegmentAsync(half);
        var masks = (EngineTestKit.ReadPng(fp32.MaskFile).Samples, EngineTestKit.ReadPng(fp16.MaskFile).Samples);
        var differing = masks.Item1.Zip(masks.Item2).Count(p => p.First != p.Second);
        var (iou32, iou16) = (fp32.Quality!.Single().IoU, fp16.Quality!.Single().IoU);

        output.WriteLine($"engine on field-000 ({fp32.Width}×{fp32.Height}, tiles of 128): IoU against the truth {iou32:F4} fp32, {iou16:F4} fp16; masks differ on {differing} of {masks.Item1.Length} pixels");
        Assert.InRange(Math.Abs(iou32 - iou16), 0, 1e-3);
        Assert.InRange(differing, 0, masks.Item1.Length / 2000);
    }

    private static string Sample(string folder) => Path.Combine(AppContext.BaseDirectory, "samples", folder, "field-000.png");

    /// <summary>Both variants on the same four tiles from the top left of <paramref name="image"/>, on ONNX Runtime's CPU and in the C# reference.</summary>
    private static Fp16Figures Compare(LoadedModel model, byte[] image, int tile)
    {
        var weights = WeightsOf(model);
        var half = NestedUNetBuilder.Build(weights.Options, weights, model.Card with { Precision = ModelCard.Fp16 });
        var tiles = Tiles(image, model.Card.ToInputSpec(), tile);
        var threshold = model.Card.Threshold;

        var cpu = Agree(Probabilities(model.Model, model.Card, tiles), Probabilities(half, model.Card, tiles), threshold);
        var reference = Sigmoid(new NestedUNetReference(weights).Heads(tiles)[^1]);
        var halfReference = Sigmoid(new NestedUNetReference(Rounded(weights), halfActivations: true).Heads(tiles)[^1]);
        return new Fp16Figures(cpu, Agree(reference, halfReference, threshold));
    }

    private static float[] Probabilities(ModelProto model, ModelCard card, FeatureMap tiles)
    {
        var graph = ModeGraph.Select(model, card, InferenceMode.L4);
        using var session = DeviceSession.Open(graph.ToByteArray(), EngineTestKit.Cpu, NullLogger.Instance);
        var probabilities = new float[tiles.N * card.Classes * tiles.Plane];
        session.Run(tiles.Data, probabilities, tiles.N, tiles.C, card.Classes, tiles.H, tiles.W);
        return probabilities;
    }

    private static float[] Sigmoid(FeatureMap logits) => ModelTestKit.Sigmoid(logits.Data);

    private static Agreement Agree(float[] full, float[] half, float threshold) => new(
        ModelTestKit.MaxAbsDifference(full, half), full.Zip(half).Count(p => p.First >= threshold != p.Second >= threshold), full.Length);

    /// <summary>Four tiles, a 2 × 2 block from the image's top left corner, decoded and normalised as the engine does.</summary>
    private static FeatureMap Tiles(byte[] image, InputSpec spec, int tile)
    {
        var whole = new ImageDecoder(new ImageDecoderOptions()).Decode("tile", image, spec);
        var data = new List<float>();
        foreach (var (y, x) in from y in new[] { 0, tile } from x in new[] { 0, tile } select (y, x))
        {
            for (var c = 0; c < spec.Channels; c++)
            {
                for (var r = 0; r < tile; r++)
                {
                    data.AddRange(whole.Data.AsSpan((((c * whole.Height) + y + r) * whole.Width) + x, tile));
                }
            }
        }

        return new FeatureMap(4, spec.Channels, tile, tile, [.. data]);
    }

    /// <summary>The weights inside a model this project built, read back from its float32 initializers.</summary>
    private static NestedUNetWeights WeightsOf(LoadedModel model)
    {
        var options = new NestedUNetOptions
        {
            Filters = model.Card.Filters,
            InChannels = model.Card.InChannels,
            Classes = model.Card.Classes,
            DeepSupervision = model.Card.DeepSupervision,
        };
        var initializers = model.Model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return NestedUNetWeights.Create(options, (name, _) => FloatBytes.FromLittleEndian(initializers[name].RawData.Span));
    }

    private static NestedUNetWeights Rounded(NestedUNetWeights weights) =>
        NestedUNetWeights.Create(weights.Options, (name, _) => [.. weights.Values(name).Select(v => (float)(Half)v)]);

    private sealed record Agreement(float MaxDifference, int Disagreeing, int Pixels)
    {
        public double MaskAgreement => 1 - ((double)Disagreeing / Pixels);

        public override string ToString() =>
            $"max |Δp| {MaxDifference:E2}, masks agree on {MaskAgreement:P3} of pixels ({Disagreeing} of {Pixels} differ)";
    }

    private sealed record Fp16Figures(Agreement Cpu, Agreement HalfActivations)
    {
        public override string ToString() => $"ONNX Runtime CPU (half weights): {Cpu}; reference with half activations too: {HalfActivations}";

        public void AssertWithin(float maxDifference, double minAgreement)
        {
            foreach (var agreement in new[] { Cpu, HalfActivations })
            {
                Assert.InRange(agreement.MaxDifference, 0, maxDifference);
                Assert.InRange(agreement.MaskAgreement, minAgreement, 1);
            }
        }
    }
}
