using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Client.Tests;

public sealed class ModelBuildCommandTests : IDisposable
{
    private static readonly NestedUNetOptions Small = new() { Filters = [4, 8, 16, 32, 64], DeepSupervision = true };

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task BuildWritesAModelWithItsCardAndSaysWhatItWrote()
    {
        // A new folder, and a path longer than a console line, which must still be printed whole.
        var path = folder.File(Path.Combine("a-new-folder-whose-name-takes-the-path-past-eighty-columns", "m.onnx"));

        var result = await CliRunner.RunAsync(
            "model", "build", "--out", path, "--filters", "4,8,16,32,64", "--deep-supervision",
            "--tile-size", "128", "--threshold", "0.3");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("", result.Error);
        var loaded = ModelFile.Load(path);
        Assert.Equal([4, 8, 16, 32, 64], loaded.Card.Filters);
        Assert.True(loaded.Card.DeepSupervision);
        Assert.Equal(128, loaded.Card.TileSize);
        Assert.Equal(0.3f, loaded.Card.Threshold);
        Assert.Equal(ModelCard.Fp32, loaded.Card.Precision);
        Assert.Contains(path, result.Output, StringComparison.Ordinal);
        Assert.Contains("144,488", result.Output, StringComparison.Ordinal);
        Assert.Contains("L1, L2, L3, L4, accurate", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fp16BuildsHalfWeightsBehindFloatEdgesAndRecordsItInTheCard()
    {
        var path = folder.File("half.onnx");

        var result = await CliRunner.RunAsync("model", "build", "--out", path, "--filters", "4,8,16,32,64", "--precision", "fp16");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var loaded = ModelFile.Load(path);
        Assert.Equal(ModelCard.Fp16, loaded.Card.Precision);
        Assert.Equal((int)TensorProto.Types.DataType.Float16, loaded.Model.Graph.Initializer.Single(t => t.Name == "final.weight").DataType);
        Assert.Equal((int)TensorProto.Types.DataType.Float, loaded.Model.Graph.Input.Single().Type.TensorType.ElemType);
        Assert.Contains("Precision   fp16", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildFromSafetensorsPutsThoseWeightsInTheModel()
    {
        var weights = NestedUNetWeights.CreateInitial(Small, seed: 11);
        foreach (var name in weights.Names.Where(n => n.EndsWith(".running_mean", StringComparison.Ordinal)))
        {
            // Non-zero statistics, so a graph that ignored the file's batch norm would show up.
            Array.Fill(weights.Values(name), 0.125f);
        }

        var weightsPath = folder.File("w.safetensors");
        weights.SaveSafetensors(weightsPath);
        var path = folder.File("m.onnx");

        var result = await CliRunner.RunAsync(
            "model", "build", "--out", path, "--filters", "4,8,16,32,64", "--deep-supervision", "--weights", weightsPath);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var initializers = ModelFile.Load(path).Model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var name in weights.Names)
        {
            var tensor = initializers[name];
            Assert.Equal(weights.ShapeOf(name).Select(d => (long)d), tensor.Dims);
            Assert.Equal(weights.Values(name), Floats(tensor));
        }
    }

    [Fact]
    public async Task WeightsAloneSayFiltersChannelsClassesAndHeadsEvenUnderDataParallelNames()
    {
        var options = Small with { InChannels = 1, Classes = 2 };
        var weights = NestedUNetWeights.CreateInitial(options, seed: 5);
        var weightsPath = folder.File("parallel.safetensors");
        WriteSafetensors(weightsPath, weights, weights.Names, prefix: "module.");
        var path = folder.File("m.onnx");

        var result = await CliRunner.RunAsync("model", "build", "--out", path, "--weights", weightsPath);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
        var loaded = ModelFile.Load(path);
        Assert.Equal([4, 8, 16, 32, 64], loaded.Card.Filters);
        Assert.Equal(1, loaded.Card.InChannels);
        Assert.Equal(2, loaded.Card.Classes);
        Assert.True(loaded.Card.DeepSupervision);
        var initializer = loaded.Model.Graph.Initializer.Single(t => t.Name == "final2.weight");
        Assert.Equal(weights.Values("final2.weight"), Floats(initializer));
    }

    [Theory]
    [InlineData("--classes", "3", "--classes contradicts {0}, whose tensors say 1 class; leave --classes out")]
    [InlineData("--filters", "32,64,128,256,512", "--filters contradicts {0}, whose tensors say filters 4,8,16,32,64; leave --filters out")]
    [InlineData("--in-channels", "1", "--in-channels contradicts {0}, whose tensors say 3 input channels; leave --in-channels out")]
    public async Task OptionThatContradictsTheWeightsIsAUsageErrorNamingBoth(string option, string value, string message)
    {
        var weights = NestedUNetWeights.CreateInitial(Small, seed: 1);
        var weightsPath = folder.File("w.safetensors");
        weights.SaveSafetensors(weightsPath);
        var path = folder.File("m.onnx");

        var result = await CliRunner.RunAsync("model", "build", "--out", path, "--weights", weightsPath, option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, message, weightsPath), result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task DeepSupervisionAskedOfOneHeadWeightsIsAUsageError()
    {
        var weights = NestedUNetWeights.CreateInitial(Small with { DeepSupervision = false }, seed: 1);
        var weightsPath = folder.File("one-head.safetensors");
        weights.SaveSafetensors(weightsPath);

        var result = await CliRunner.RunAsync(
            "model", "build", "--out", folder.File("m.onnx"), "--weights", weightsPath, "--deep-supervision");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains($"--deep-supervision contradicts {weightsPath}, whose tensors say one head;", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameSeedBuildsTheSameFile()
    {
        string[] options = ["--filters", "4,8,16,32,64", "--seed", "5"];

        var first = await CliRunner.RunAsync(["model", "build", "--out", folder.File("a.onnx"), .. options]);
        var second = await CliRunner.RunAsync(["model", "build", "--out", folder.File("b.onnx"), .. options]);
        var other = await CliRunner.RunAsync(["model", "build", "--out", folder.File("c.onnx"), "--filters", "4,8,16,32,64", "--seed", "6"]);

        Assert.Equal(ExitCodes.Success, first.ExitCode + second.ExitCode + other.ExitCode);
        Assert.Equal(File.ReadAllBytes(folder.File("a.onnx")), File.ReadAllBytes(folder.File("b.onnx")));
        Assert.NotEqual(File.ReadAllBytes(folder.File("a.onnx")), File.ReadAllBytes(folder.File("c.onnx")));
    }

    [Theory]
    [InlineData("1,2,3")]
    [InlineData("4,8,16,32,0")]
    [InlineData("4,8,16,32,64,128")]
    [InlineData("4,8,x,32,64")]
    public async Task FiltersThatAreNotFivePositiveWidthsAreAUsageError(string filters)
    {
        var path = folder.File("m.onnx");

        var result = await CliRunner.RunAsync("model", "build", "--out", path, "--filters", filters);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--filters", result.Error, StringComparison.Ordinal);
        Assert.Contains(filters, result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("--tile-size", "100")]
    [InlineData("--threshold", "1.5")]
    [InlineData("--in-channels", "0")]
    [InlineData("--classes", "-1")]
    [InlineData("--precision", "int8")]
    public async Task CardSettingsOutOfRangeAreAUsageErrorNamingTheOption(string option, string value)
    {
        var path = folder.File("m.onnx");

        var result = await CliRunner.RunAsync("model", "build", "--out", path, "--filters", "4,8,16,32,64", option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(option, result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task WeightsMissingATensorAreAUsageErrorNamingTheTensor()
    {
        var weights = NestedUNetWeights.CreateInitial(Small, seed: 1);
        const string Missing = "conv2_1.bn2.running_var";
        var weightsPath = folder.File("w.safetensors");
        WriteSafetensors(weightsPath, weights, weights.Names.Where(n => n != Missing));
        var path = folder.File("m.onnx");

        var result = await CliRunner.RunAsync(
            "model", "build", "--out", path, "--filters", "4,8,16,32,64", "--deep-supervision", "--weights", weightsPath);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(weightsPath, result.Error, StringComparison.Ordinal);
        Assert.Contains($"missing 1 tensor: {Missing}", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task WeightsThatAreNotSafetensorsAreAUsageError()
    {
        var weightsPath = folder.File("w.safetensors");
        await File.WriteAllTextAsync(weightsPath, "not a state dict");

        var result = await CliRunner.RunAsync(
            "model", "build", "--out", folder.File("m.onnx"), "--filters", "4,8,16,32,64", "--weights", weightsPath);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(weightsPath, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingOutIsAUsageError()
    {
        var result = await CliRunner.RunAsync("model", "build", "--filters", "4,8,16,32,64");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--out", result.Error, StringComparison.Ordinal);
    }

    private static float[] Floats(TensorProto tensor)
    {
        var bytes = tensor.RawData.Span;
        var values = new float[bytes.Length / 4];
        for (var k = 0; k < values.Length; k++)
        {
            values[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(k * 4)..]);
        }

        return values;
    }

    /// <summary>The safetensors layout (header length, JSON header, little-endian F32 data) for the chosen tensors.</summary>
    private static void WriteSafetensors(string path, NestedUNetWeights weights, IEnumerable<string> names, string prefix = "")
    {
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        using var data = new MemoryStream();
        Span<byte> bytes = stackalloc byte[4];
        foreach (var name in names)
        {
            var start = data.Length;
            foreach (var value in weights.Values(name))
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
                data.Write(bytes);
            }

            header[prefix + name] = new { dtype = "F32", shape = weights.ShapeOf(name), data_offsets = new[] { start, data.Length } };
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        file.Write(length);
        file.Write(json);
        data.Position = 0;
        data.CopyTo(file);
    }
}
