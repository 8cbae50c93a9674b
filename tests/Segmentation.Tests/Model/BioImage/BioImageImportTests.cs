using System.IO.Compression;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Model.BioImage;
using static UNetPP.Cluster.Segmentation.Tests.Model.BioImage.BioImagePackage;

namespace UNetPP.Cluster.Segmentation.Tests.Model.BioImage;

public sealed class BioImageImportTests : IDisposable
{
    private readonly string _folder = ModelTestKit.TempDirectory();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ScaleRangeBecomesThePercentileNormalisationAndThePackagePassesItsOwnTest()
    {
        var input = Image(peak: 1000);
        var rdf = Write(
            Folder("scale-range"),
            Rdf("- id: scale_range\n  kwargs: {axes: [y, x], min_percentile: 1, max_percentile: 99.8}"),
            input,
            Probabilities(Network(), ScaleRange(input, 1, 99.8)));

        var imported = BioImageImport.Import(rdf);

        var card = imported.Card;
        Assert.Equal(InputNormalization.Percentile, card.Normalization.Method);
        Assert.Equal((1, 99.8), (card.Normalization.Low, card.Normalization.High));
        Assert.Equal((1, 1, ModelCard.Sigmoid, true), (card.InChannels, card.Classes, card.Activation, card.HeadsAreLogits));
        Assert.Equal((NestedUNetBuilder.InputName, "final"), (card.InputName, card.HeadOutputs.Single()));
        Assert.Equal(["dapi"], imported.ChannelNames);
        Assert.Equal(0, imported.Test.Mismatched);
        Assert.Equal(Size * Size, imported.Test.Values);
        Assert.Equal(card.ToJson(), ModelCard.ReadFrom(imported.Model)?.ToJson());
        Assert.Contains("bioimage.io model 'Test nuclei' (format 0.5.4)", card.Origin, StringComparison.Ordinal);
    }

    [Fact]
    public void PerSampleZeroMeanUnitVarianceBecomesTheZScoreNormalisation()
    {
        var input = Image(peak: 40);
        var rdf = Write(
            Folder("zscore"),
            Rdf("- id: zero_mean_unit_variance\n  kwargs: {axes: [y, x]}"),
            input,
            Probabilities(Network(), ZeroMeanUnitVariance(input)));

        var card = BioImageImport.Import(rdf).Card;

        Assert.Equal(InputNormalization.ZScore, card.Normalization.Method);
    }

    [Fact]
    public void AFixedNormalisationOfEightBitInputIsSaidInTheEnginesZeroToOneTerms()
    {
        // The engine divides 8-bit samples by 255 first, so (x - 100) / 50 on raw values is mean 100/255, std 50/255.
        var input = Image(peak: 255, whole: true);
        var rdf = Write(
            Folder("fixed"),
            Rdf(
                "- id: fixed_zero_mean_unit_variance\n  kwargs: {mean: 100, std: 50}\n- id: clip\n  kwargs: {min: -2, max: 3.1}",
                data: "data: {type: uint8}"),
            input,
            Probabilities(Network(), [.. input.Select(v => (v - 100f) / 50f)]),
            inputType: "|u1");

        var card = BioImageImport.Import(rdf).Card;

        Assert.Equal(InputNormalization.Fixed, card.Normalization.Method);
        Assert.Equal(100f / 255, card.Normalization.Mean[0], 1e-6f);
        Assert.Equal(50f / 255, card.Normalization.Std[0], 1e-6f);
        Assert.Contains("input values 0–255 (8-bit images)", card.Origin, StringComparison.Ordinal);
    }

    [Fact]
    public void ScaleLinearOfFloatInputWithADataRangeIsAFixedNormalisation()
    {
        var input = Image(peak: 65535, whole: true);
        var rdf = Write(
            Folder("linear"),
            Rdf("- id: scale_linear\n  kwargs: {gain: 0.0001, offset: -1.5}", data: "data: {type: float32, range: [0, 65535]}"),
            input,
            Probabilities(Network(), [.. input.Select(v => (v * 0.0001f) - 1.5f)]));

        var card = BioImageImport.Import(rdf).Card;

        // gain × raw + offset = (u − mean) / std with u = raw / 65535: std = 1 / (gain × 65535), mean = −offset × std.
        Assert.Equal(1 / 6.5535f, card.Normalization.Std[0], 1e-5f);
        Assert.Equal(1.5f / 6.5535f, card.Normalization.Mean[0], 1e-5f);
        Assert.Contains("0–65535 (16-bit images)", card.Origin, StringComparison.Ordinal);
    }

    [Fact]
    public void APackageWhoseTestOutputWasAlteredFailsWithTheLargestDifferenceAndWhere()
    {
        var input = Image(peak: 1000);
        var output = Probabilities(Network(), ScaleRange(input, 1, 99.8));
        output[(20 * Size) + 7] += 0.25f;
        var rdf = Write(Folder("altered"), Rdf("- id: scale_range\n  kwargs: {axes: [y, x], min_percentile: 1, max_percentile: 99.8}"), input, output);

        var error = Assert.Throws<ModelException>(() => BioImageImport.Import(rdf));

        Assert.StartsWith($"{rdf}: the test output does not reproduce: 1 of 4,096 values differ by more than 0.0001 + 0.001 × |expected|", error.Message, StringComparison.Ordinal);
        Assert.Contains("the largest difference is 0.25 at [0, 0, 20, 7]", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ThePackagesOwnToleranceDecides()
    {
        var input = Image(peak: 1000);
        var output = Probabilities(Network(), ScaleRange(input, 1, 99.8));
        output[5] += 0.01f;
        var rdf = Write(
            Folder("tolerant"),
            Rdf(
                "- id: scale_range\n  kwargs: {axes: [y, x], min_percentile: 1, max_percentile: 99.8}",
                config: "config:\n  bioimageio:\n    reproducibility_tolerance:\n      - {absolute_tolerance: 0.02, relative_tolerance: 0}"),
            input,
            output);

        var imported = BioImageImport.Import(rdf);

        Assert.Equal(0.01, imported.Test.LargestDifference, 1e-4);
    }

    [Theory]
    [InlineData("- id: binarize\n  kwargs: {threshold: 0.5}", "inputs[0].preprocessing[0] 'binarize': unetpp cannot do this step before the model")]
    [InlineData("- id: scale_mean_variance\n  kwargs: {reference_tensor: raw}", "inputs[0].preprocessing[0] 'scale_mean_variance': unetpp cannot do this step before the model")]
    [InlineData("- id: scale_range\n  kwargs: {axes: [y, x]}\n- id: clip\n  kwargs: {min: 0, max: 1}", "inputs[0].preprocessing[1] 'clip' comes after the per-image normalisation 'scale_range'")]
    [InlineData("- id: scale_range\n  kwargs: {axes: [y]}", "inputs[0].preprocessing[0] 'scale_range' pools its statistics over axes 'y'")]
    [InlineData("- id: scale_linear\n  kwargs: {gain: 2}", "input 'raw' takes float32 values with no data range under a fixed normalisation, but unetpp first divides images by 255 (8-bit) or 65535 (16-bit)")]
    [InlineData("- id: ensure_dtype\n  kwargs: {dtype: uint8}", "inputs[0].preprocessing[0] 'ensure_dtype' casts to uint8")]
    public void PreprocessingTheEngineCannotDoIsRefusedNamingTheStep(string preprocessing, string message)
    {
        var input = Image(peak: 1000);
        var rdf = Write(Folder("refused"), Rdf(preprocessing), input, input);

        var error = Assert.Throws<ModelException>(() => BioImageImport.Import(rdf));

        Assert.StartsWith($"{rdf}: {message}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AClipThatWouldCutEightBitValuesIsRefused()
    {
        var input = Image(peak: 255, whole: true);
        var rdf = Write(
            Folder("clip"),
            Rdf("- id: scale_linear\n  kwargs: {gain: 0.01}\n- id: clip\n  kwargs: {min: 0, max: 1}", data: "data: {type: uint8}"),
            input,
            input,
            inputType: "|u1");

        var error = Assert.Throws<ModelException>(() => BioImageImport.Import(rdf));

        Assert.Contains("inputs[0].preprocessing[1] 'clip' would cut values off", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABinarizedOutputBecomesTheCardsThresholdAndItsTestComparesMasks()
    {
        var input = Image(peak: 1000);
        var probabilities = Probabilities(Network(), ScaleRange(input, 1, 99.8));
        var threshold = probabilities.Order().ElementAt(probabilities.Length / 2) + 1e-4f;
        var rdf = Write(
            Folder("binarize"),
            Rdf(
                "- id: scale_range\n  kwargs: {axes: [y, x], min_percentile: 1, max_percentile: 99.8}",
                $"- id: sigmoid\n- id: binarize\n  kwargs: {{threshold: {Invariant(threshold)}}}"),
            input,
            [.. probabilities.Select(p => p > threshold ? 1f : 0f)]);

        var imported = BioImageImport.Import(rdf);

        Assert.Equal(threshold, imported.Card.Threshold);
        Assert.Equal(0, imported.Test.Mismatched);
    }

    [Fact]
    public void UnknownPostprocessingIsRefusedNamingTheStep()
    {
        var input = Image(peak: 1000);
        var rdf = Write(Folder("post"), Rdf("- id: scale_range\n  kwargs: {axes: [y, x]}", "- id: sigmoid\n- id: scale_linear\n  kwargs: {gain: 2}"), input, input);

        var error = Assert.Throws<ModelException>(() => BioImageImport.Import(rdf));

        Assert.Contains("outputs[0].postprocessing[1] 'scale_linear': unetpp cannot do this step after the model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFormatFourPackageWithItsShapeAndHaloImports()
    {
        var input = Image(peak: 1000);
        var rdf = Write(
            Folder("v0_4"),
            """
            format_version: 0.4.10
            type: model
            name: Legacy nuclei
            inputs:
              - name: raw
                axes: bcyx
                data_type: float32
                shape: {min: [1, 1, 64, 64], step: [0, 0, 32, 32]}
                preprocessing:
                  - name: scale_range
                    kwargs: {mode: per_sample, axes: xy, min_percentile: 1, max_percentile: 99.8}
            outputs:
              - name: probability
                axes: bcyx
                data_type: float32
                shape: {reference_tensor: raw, scale: [1, 1, 1, 1], offset: [0, 0, 0, 0]}
                halo: [0, 0, 48, 48]
                postprocessing:
                  - name: sigmoid
            test_inputs: [test_input.npy]
            test_outputs: [test_output.npy]
            weights:
              onnx: {source: ./weights.onnx}
            """,
            input,
            Probabilities(Network(), ScaleRange(input, 1, 99.8)));

        var imported = BioImageImport.Import(rdf);

        Assert.Equal(("raw", "probability", "0.4.10"), (imported.InputId, imported.OutputId, imported.FormatVersion));
        Assert.Equal(InputNormalization.Percentile, imported.Card.Normalization.Method);
        // 8 halos of 48 is 384, which 64 + n × 32 reaches exactly.
        Assert.Equal(384, imported.Card.TileSize);
        Assert.Equal(0, imported.Test.Mismatched);
    }

    [Fact]
    public void FormatFourZeroMeanUnitVarianceIsFixedUnlessItsModeSaysPerSample()
    {
        var input = Image(peak: 255, whole: true);
        var rdf = Write(
            Folder("v0_4-fixed"),
            """
            format_version: 0.4.9
            type: model
            name: Legacy fixed
            inputs:
              - name: raw
                axes: bcyx
                data_type: uint8
                shape: [1, 1, 64, 64]
                preprocessing:
                  - name: zero_mean_unit_variance
                    kwargs: {axes: xy, mean: 100, std: 50}
            outputs:
              - name: probability
                axes: bcyx
                data_type: float32
                shape: [1, 1, 64, 64]
                postprocessing:
                  - name: sigmoid
            test_inputs: [test_input.npy]
            test_outputs: [test_output.npy]
            weights:
              onnx: {source: weights.onnx}
            """,
            input,
            Probabilities(Network(), [.. input.Select(v => (v - 100f) / 50f)]),
            inputType: "|u1");

        var card = BioImageImport.Import(rdf).Card;

        Assert.Equal((InputNormalization.Fixed, 64), (card.Normalization.Method, card.TileSize));
        Assert.Equal(100f / 255, card.Normalization.Mean[0], 1e-6f);
    }

    [Fact]
    public void AZippedPackageImportsLikeItsFolder()
    {
        var input = Image(peak: 1000);
        var folder = Folder("zipped");
        Write(folder, Rdf("- id: scale_range\n  kwargs: {axes: [y, x], min_percentile: 1, max_percentile: 99.8}"), input, Probabilities(Network(), ScaleRange(input, 1, 99.8)));
        var zip = Path.Combine(_folder, "package.zip");
        ZipFile.CreateFromDirectory(folder, zip);

        var fromZip = BioImageImport.Import(zip);
        var fromFolder = BioImageImport.Import(folder);

        Assert.Equal(fromFolder.Card.ToJson(), fromZip.Card.ToJson());
        Assert.Equal(InputNormalization.Percentile, fromZip.Card.Normalization.Method);
    }

    [Fact]
    public void AFolderWithoutADescriptionIsRefusedByName()
    {
        var folder = Folder("empty");

        var error = Assert.Throws<ModelException>(() => BioImageImport.Import(folder));

        Assert.Equal($"{folder}: this folder holds no rdf.yaml or bioimageio.yaml, so it is not a bioimage.io model package", error.Message);
    }

    [Fact]
    public void TensorsWithTheChannelLastAreTurnedToTheEnginesOrderAroundTheSameWeights()
    {
        var input = Image(peak: 1000);
        var rdf = Write(
            Folder("byxc"),
            Rdf("- id: scale_range\n  kwargs: {axes: [y, x], min_percentile: 1, max_percentile: 99.8}", axes: "byxc"),
            input,
            Probabilities(Network(), ScaleRange(input, 1, 99.8)),
            axes: "byxc");

        var imported = BioImageImport.Import(rdf);

        Assert.Equal(("outside.bcyx", "outside.out.bcyx"), (imported.Card.InputName, imported.Card.HeadOutputs.Single()));
        Assert.Equal(0, imported.Test.Mismatched);
    }

    [Fact]
    public void ThreeDimensionalTensorsAreRefused()
    {
        var input = Image(peak: 1000);
        var rdf = Write(
            Folder("bczyx"),
            Rdf("- id: scale_range\n  kwargs: {axes: [y, x]}", axes: "bczyx"),
            input,
            input);

        var error = Assert.Throws<ModelException>(() => BioImageImport.Import(rdf));

        Assert.Contains("tensor 'raw' has axes 'bczyx'; unetpp runs 2D models whose tensors have a batch, a channel, a y and an x axis", error.Message, StringComparison.Ordinal);
    }

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(_folder, name)).FullName;
}
