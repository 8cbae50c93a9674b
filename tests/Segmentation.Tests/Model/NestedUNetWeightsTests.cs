using System.Buffers.Binary;
using System.Text.Json;
using UNetPP.Cluster.Segmentation.Model;
using static UNetPP.Cluster.Segmentation.Tests.Model.ModelTestKit;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

public sealed class NestedUNetWeightsTests : IDisposable
{
    private readonly string directory = TempDirectory();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void InitialWeightsFollowPyTorchDefaultsAndTheSeed()
    {
        var options = Small();
        var a = NestedUNetWeights.CreateInitial(options, 42);
        var b = NestedUNetWeights.CreateInitial(options, 42);
        var c = NestedUNetWeights.CreateInitial(options, 43);

        Assert.Equal(a.Values("conv0_0.conv1.weight"), b.Values("conv0_0.conv1.weight"));
        Assert.NotEqual(a.Values("conv0_0.conv1.weight"), c.Values("conv0_0.conv1.weight"));
        var bound = 1 / MathF.Sqrt(3 * 3 * 3);
        Assert.All(a.Values("conv0_0.conv1.weight").Concat(a.Values("conv0_0.conv1.bias")), v => Assert.InRange(v, -bound, bound));
        Assert.True(a.Values("conv0_0.conv1.weight").Max() > bound * 0.8f, "weights should fill the uniform range");
        Assert.All(a.Values("conv1_0.bn2.weight").Concat(a.Values("conv1_0.bn2.running_var")), v => Assert.Equal(1f, v));
        Assert.All(a.Values("conv1_0.bn2.bias").Concat(a.Values("conv1_0.bn2.running_mean")), v => Assert.Equal(0f, v));
        Assert.Equal([1, 4, 1, 1], a.ShapeOf("final3.weight"));
        Assert.Equal([8, 8 + 16, 3, 3], a.ShapeOf("conv1_1.conv1.weight"));
    }

    [Fact]
    public void SafetensorsRoundTripKeepsEveryTensor()
    {
        var options = Small(inChannels: 1, classes: 2);
        var weights = Weights(options);
        var path = Path.Combine(directory, "w.safetensors");

        weights.SaveSafetensors(path);
        var loaded = NestedUNetWeights.LoadSafetensors(path, options);

        Assert.Equal(weights.Names, loaded.Names);
        Assert.All(weights.Names, n => Assert.Equal(weights.Values(n), loaded.Values(n)));
        Assert.Single(Directory.GetFiles(directory));
    }

    [Fact]
    public void HalfPrecisionAndBatchCountersAreAccepted()
    {
        var options = Small();
        var weights = Weights(options);
        var tensors = Tensors(weights);
        var half = weights.Values("final1.weight").Select(v => (Half)v).ToArray();
        tensors["final1.weight"] = ("F16", [1, 4, 1, 1], [.. half.SelectMany(h => BitConverter.GetBytes(h))]);
        tensors["conv0_0.bn1.num_batches_tracked"] = ("I64", [], BitConverter.GetBytes(100L));

        var loaded = NestedUNetWeights.LoadSafetensors(Write("half.safetensors", tensors), options);

        Assert.Equal(half.Select(h => (float)h), loaded.Values("final1.weight"));
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        var tensors = Tensors(Weights(Small()));
        tensors.Remove("conv2_1.bn1.running_var");

        var error = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(Write("missing.safetensors", tensors), Small()));

        Assert.Contains("missing.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing 1 tensor: conv2_1.bn1.running_var", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnexpectedTensorIsNamed()
    {
        var tensors = Tensors(Weights(Small()));
        tensors["decoder.extra"] = ("F32", [1], new byte[4]);

        var error = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(Write("extra.safetensors", tensors), Small()));

        Assert.Contains("1 tensor not part of this architecture: decoder.extra", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MisShapedTensorNamesBothShapes()
    {
        var path = Path.Combine(directory, "gray.safetensors");
        Weights(Small(inChannels: 1)).SaveSafetensors(path);

        var error = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(path, Small()));

        Assert.Contains(
            "conv0_0.conv1.weight is [4, 1, 3, 3], not [4, 3, 3, 3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("hint: the weights take 1 input channels: build with --in-channels 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1, false, "")]
    [InlineData(3, 2, true, "module.")]
    public void OptionsAreReadFromTheTensorShapes(int inChannels, int classes, bool deepSupervision, string prefix)
    {
        var weights = Weights(Small(inChannels, classes, deepSupervision));
        var tensors = Tensors(weights).ToDictionary(t => prefix + t.Key, t => t.Value);

        var options = NestedUNetWeights.ReadOptions(Write("w.safetensors", tensors), new NestedUNetOptions { DeepSupervision = !deepSupervision });

        Assert.Equal(SmallFilters, options.Filters);
        Assert.Equal(inChannels, options.InChannels);
        Assert.Equal(classes, options.Classes);
        Assert.Equal(deepSupervision, options.DeepSupervision);
    }

    [Fact]
    public void DataParallelPrefixIsTakenOff()
    {
        var weights = Weights(Small());
        var tensors = Tensors(weights).ToDictionary(t => "module." + t.Key, t => t.Value);

        var loaded = NestedUNetWeights.LoadSafetensors(Write("parallel.safetensors", tensors), Small());

        Assert.Equal(weights.Values("final3.weight"), loaded.Values("final3.weight"));
    }

    [Fact]
    public void FourHeadWeightsLoadedAsOneHeadListMissingFirstWithAHint()
    {
        var path = Path.Combine(directory, "four-heads.safetensors");
        Weights(Small()).SaveSafetensors(path);

        var error = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(path, Small(deepSupervision: false)));

        var lines = error.Message.Split('\n');
        Assert.Equal(
            [
                $"{path}: the weights do not fit NestedUNet(filters 4,8,16,32,64, in 3, classes 1, deep supervision off):",
                "  missing 2 tensors: final.weight, final.bias",
                "  8 tensors not part of this architecture: final1.weight, final1.bias, final2.weight, final2.bias, final3.weight, final3.bias, final4.weight, final4.bias",
                "  hint: the weights have four heads (final1..final4): build with --deep-supervision, or leave it out",
            ],
            lines);
    }

    [Fact]
    public void WrappedNamesAndSmallFiltersGetAHintEach()
    {
        var tensors = Tensors(Weights(Small())).ToDictionary(t => "model." + t.Key, t => t.Value);
        var path = Write("wrapped.safetensors", tensors);
        var plain = Path.Combine(directory, "plain.safetensors");
        Weights(Small()).SaveSafetensors(plain);

        var wrapped = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(path, Small()));
        var filters = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(plain, new NestedUNetOptions()));

        Assert.Contains("hint: the names start with 'model.'", wrapped.Message, StringComparison.Ordinal);
        Assert.StartsWith("  missing ", wrapped.Message.Split('\n')[1], StringComparison.Ordinal);
        Assert.Contains("hint: the weights' filters are 4,8,16,32,64: build with --filters 4,8,16,32,64", filters.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedDtypeIsRefused()
    {
        var tensors = Tensors(Weights(Small()));
        tensors["final.bias"] = ("I32", [1], new byte[4]);
        var options = Small(deepSupervision: false);
        tensors = tensors.Where(t => !t.Key.StartsWith("final", StringComparison.Ordinal) || t.Key == "final.bias")
            .ToDictionary(t => t.Key, t => t.Value);
        tensors["final.weight"] = ("F32", [1, 4, 1, 1], new byte[16]);

        var error = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(Write("int.safetensors", tensors), options));

        Assert.Contains("final.bias has dtype I32", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is a text file, not a state dict")]
    [InlineData("")]
    public void NonSafetensorsFileIsRefused(string content)
    {
        var path = Path.Combine(directory, "notes.safetensors");
        File.WriteAllText(path, content);

        var error = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(path, Small()));

        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a safetensors file", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'{', (byte)'n', (byte)'o', (byte)'t', (byte)' ', (byte)'j', (byte)'s', (byte)'o', (byte)'n' })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}' })]
    public void HeaderThatIsNotJsonIsRefused(byte[] header)
    {
        var path = Path.Combine(directory, "garbage.safetensors");
        var bytes = new byte[8 + header.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ModelException>(() => NestedUNetWeights.LoadSafetensors(path, Small()));

        Assert.Contains("not a safetensors file", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, (string DType, long[] Shape, byte[] Data)> Tensors(NestedUNetWeights weights) =>
        weights.Names.ToDictionary(
            n => n,
            n => ("F32", weights.ShapeOf(n).Select(d => (long)d).ToArray(), weights.Values(n).SelectMany(BitConverter.GetBytes).ToArray()));

    /// <summary>A minimal independent safetensors writer, so hand-made files can hold dtypes and mistakes the library never writes.</summary>
    private string Write(string name, Dictionary<string, (string DType, long[] Shape, byte[] Data)> tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (key, (dtype, shape, data)) in tensors)
        {
            header[key] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        var path = Path.Combine(directory, name);
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        foreach (var (_, _, data) in tensors.Values)
        {
            file.Write(data);
        }

        return path;
    }
}
