using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using static UNetPP.Cluster.Segmentation.Tests.Model.BioImage.BioImagePackage;

namespace UNetPP.Cluster.Client.Tests;

public sealed class ModelImportCommandTests : IDisposable
{
    private const string ScaleRangeStep = "- id: scale_range\n  kwargs: {axes: [y, x], min_percentile: 1, max_percentile: 99.8}";

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task AnImportedPackageSegmentsAnImageAsItsOwnPreprocessingAndModelDo()
    {
        var image = Image(peak: 255, whole: true);
        var rdf = Write(_temp.File("package"), Rdf(ScaleRangeStep), image, Probabilities(Network(), ScaleRange(image, 1, 99.8)));
        var model = _temp.File("imported.onnx");

        var imported = await CliRunner.RunAsync("model", "import", rdf, "--out", model);

        Assert.True(imported.ExitCode == ExitCodes.Success, imported.Error);
        Assert.Contains("Imported Test nuclei (bioimage.io 0.5.4)", imported.Output, StringComparison.Ordinal);
        Assert.Contains("  Test          passed: 4,096 values", imported.Output, StringComparison.Ordinal);
        Assert.Contains("  Normalization percentile 1–99.8, per image", imported.Output, StringComparison.Ordinal);
        Assert.Contains($"Wrote {model}", imported.Output, StringComparison.Ordinal);
        var info = await CliRunner.RunAsync("model", "info", model);
        Assert.Contains("normalization.method", info.Output, StringComparison.Ordinal);
        Assert.Contains("bioimage.io model 'Test nuclei'", info.Output, StringComparison.Ordinal);

        var picture = _temp.File("cells.png");
        using (var png = NetVips.Image.NewFromMemory(image.Select(v => (byte)v).ToArray(), Size, Size, 1, Enums.BandFormat.Uchar))
        {
            png.WriteToFile(picture);
        }

        var output = _temp.File("out");
        var segmented = await CliRunner.RunAsync("segment", picture, "--out", output, "--model", model, "--probabilities");

        Assert.True(segmented.ExitCode == ExitCodes.Success, segmented.Error);
        var expected = Probabilities(Network(), ScaleRange(image, 1, 99.8));
        using var probabilities = NetVips.Image.NewFromFile(Path.Combine(output, "probabilities", "cells.png"));
        var written = probabilities.WriteToMemory<ushort>();
        Assert.All(Enumerable.Range(0, expected.Length), k => Assert.Equal(expected[k], written[k] / 65535f, 1e-3f));
        Assert.Equal(InputNormalization.Percentile, ModelFile.Load(model).Card.Normalization.Method);
    }

    [Fact]
    public async Task APackageThatFailsItsOwnTestIsRefusedAndNothingIsWritten()
    {
        var image = Image(peak: 1000);
        var output = Probabilities(Network(), ScaleRange(image, 1, 99.8));
        output[100] = 1 - output[100];
        var rdf = Write(_temp.File("package"), Rdf(ScaleRangeStep), image, output);
        var model = _temp.File("imported.onnx");

        var result = await CliRunner.RunAsync("model", "import", rdf, "--out", model);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains($"{rdf}: the test output does not reproduce: 1 of 4,096 values", result.Error, StringComparison.Ordinal);
        Assert.Contains("at [0, 0, 1, 36]", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
    }
}
