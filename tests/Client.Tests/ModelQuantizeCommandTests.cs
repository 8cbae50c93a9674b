using System.Text.Json;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Client.Tests;

public sealed class ModelQuantizeCommandTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task QuantizeWritesAnInt8FileThatInfoShowsWithItsCalibration()
    {
        var model = TestModels.WriteSmall(folder.File("small.onnx"));
        var images = Calibration();
        var path = folder.File("small.int8.onnx");

        var result = await CliRunner.RunAsync("model", "quantize", model, "--calibration", images, "--out", path, "--tiles", "6");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Contains($"Wrote {path}", result.Output, StringComparison.Ordinal);
        Assert.Contains("Precision    int8", result.Output, StringComparison.Ordinal);
        Assert.Contains("Calibration  percentile 99.99, 6 tiles from 2 images", result.Output, StringComparison.Ordinal);

        var info = await CliRunner.RunAsync("model", "info", path, "--json");
        Assert.Equal(ExitCodes.Success, info.ExitCode);
        using var json = JsonDocument.Parse(info.Output);
        var card = json.RootElement.GetProperty("card");
        Assert.Equal("int8", card.GetProperty("precision").GetString());
        Assert.Equal("percentile", card.GetProperty("calibration").GetProperty("method").GetString());
        Assert.Equal(6, card.GetProperty("calibration").GetProperty("tiles").GetInt32());
        Assert.Equal(InferenceModes.All, json.RootElement.GetProperty("modes").EnumerateArray().Select(m => m.GetProperty("mode").GetString()));

        var table = await CliRunner.RunAsync("model", "info", path);
        Assert.Contains("calibration.method", table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntropyIsRecordedWithoutAPercentile()
    {
        var model = TestModels.WriteSmall(folder.File("small.onnx"));
        var path = folder.File("small.int8.onnx");

        var result = await CliRunner.RunAsync("model", "quantize", model, "--calibration", Calibration(), "--out", path, "--tiles", "2", "--method", "entropy");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("entropy", ModelFile.Load(path).Card.Calibration?.Method);
        Assert.Null(ModelFile.Load(path).Card.Calibration?.Percentile);
    }

    [Fact]
    public async Task EachRefusalIsOneLineNamingTheFileAndTheReason()
    {
        var model = TestModels.WriteSmall(folder.File("small.onnx"));
        var images = Calibration();
        var empty = Directory.CreateDirectory(folder.File("empty")).FullName;
        var broken = Directory.CreateDirectory(folder.File("broken")).FullName;
        File.WriteAllText(Path.Combine(broken, "field.png"), "not a png");
        var int8 = folder.File("small.int8.onnx");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("model", "quantize", model, "--calibration", images, "--out", int8, "--tiles", "2")).ExitCode);
        var half = folder.File("half.onnx");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("model", "build", "--out", half, "--filters", "4,8,16,32,64", "--precision", "fp16")).ExitCode);

        (string[] Args, string Expected)[] cases =
        [
            (["--calibration", empty, "--out", folder.File("a.onnx")], $"error: {empty}: the calibration folder holds no images (PNG, JPEG or TIFF)"),
            (["--calibration", broken, "--out", folder.File("b.onnx")], $"error: {Path.Combine(broken, "field.png")}: "),
            (["--calibration", images, "--out", folder.File("c.onnx"), "--method", "minmax"], "error: --method must be percentile or entropy; got 'minmax'."),
            (["--calibration", images, "--out", folder.File("d.onnx"), "--percentile", "20"], "error: --percentile must lie in (50, 100]; got 20."),
        ];
        foreach (var (args, expected) in cases)
        {
            var result = await CliRunner.RunAsync(["model", "quantize", model, .. args]);
            Assert.Equal(ExitCodes.UsageError, result.ExitCode);
            Assert.Single(result.Error.Trim().Split('\n'));
            Assert.StartsWith(expected, result.Error, StringComparison.Ordinal);
        }

        var again = await CliRunner.RunAsync("model", "quantize", int8, "--calibration", images, "--out", folder.File("e.onnx"));
        Assert.Equal(ExitCodes.UsageError, again.ExitCode);
        Assert.Equal($"error: {int8}: is already quantised (int8); quantise the float32 model it was made from", again.Error.Trim());

        var fp16 = await CliRunner.RunAsync("model", "quantize", half, "--calibration", images, "--out", folder.File("f.onnx"));
        Assert.Equal(ExitCodes.UsageError, fp16.ExitCode);
        Assert.StartsWith($"error: {half}: is float16 (fp16)", fp16.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("f.onnx")));
    }

    /// <summary>Two synthetic nuclei images of 128 × 128: 9 tiles of 64 each.</summary>
    private string Calibration()
    {
        var root = folder.File("calibration");
        if (!Directory.Exists(Path.Combine(root, "images")))
        {
            SyntheticNuclei.Write(root, 2, 128, 128, seed: 7);
        }

        return Path.Combine(root, "images");
    }
}
