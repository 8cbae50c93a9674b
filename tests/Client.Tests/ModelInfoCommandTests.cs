using System.Text.Json;
using Google.Protobuf;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Client.Tests;

public sealed class ModelInfoCommandTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task JsonListsEveryModeWithTheLibrarysFigures()
    {
        var path = await BuildSmallAsync();

        var result = await CliRunner.RunAsync("model", "info", path, "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.Equal(Path.GetFullPath(path), root.GetProperty("file").GetString());
        Assert.Equal(96, root.GetProperty("size").GetProperty("height").GetInt32());
        Assert.Equal(96, root.GetProperty("size").GetProperty("width").GetInt32());
        Assert.Equal("NestedUNet", root.GetProperty("card").GetProperty("architecture").GetString());
        Assert.Equal([4, 8, 16, 32, 64], root.GetProperty("card").GetProperty("filters").EnumerateArray().Select(f => f.GetInt32()));

        var modes = root.GetProperty("modes").EnumerateArray().ToList();
        Assert.Equal(InferenceModes.All, modes.Select(m => m.GetProperty("mode").GetString()));
        var nodes = modes.Select(m => m.GetProperty("nodes").GetInt32()).ToList();
        Assert.True(nodes[0] < nodes[1] && nodes[1] < nodes[2] && nodes[2] < nodes[3], string.Join(" < ", nodes));

        var loaded = ModelFile.Load(path);
        var expected = ModelFigures.MeasureAll(loaded.Model, loaded.Card, 96, 96);
        Assert.Equal(expected.Select(f => f.Parameters), modes.Select(m => m.GetProperty("parameters").GetInt64()));
        Assert.Equal(expected.Select(f => f.MultiplyAccumulates), modes.Select(m => (long?)m.GetProperty("multiplyAccumulates").GetInt64()));
    }

    [Fact]
    public async Task SizeTakesHeightByWidth()
    {
        var path = await BuildSmallAsync();

        var square = await CliRunner.RunAsync("model", "info", path, "--json", "--size", "64");
        var wide = await CliRunner.RunAsync("model", "info", path, "--json", "--size", "64x128");

        using var squareJson = JsonDocument.Parse(square.Output);
        using var wideJson = JsonDocument.Parse(wide.Output);
        Assert.Equal(128, wideJson.RootElement.GetProperty("size").GetProperty("width").GetInt32());
        Assert.Equal(64, wideJson.RootElement.GetProperty("size").GetProperty("height").GetInt32());
        var squareL4 = L4MultiplyAccumulates(squareJson);
        Assert.Equal(2 * squareL4, L4MultiplyAccumulates(wideJson));
    }

    [Theory]
    [InlineData("8")]
    [InlineData("64x")]
    [InlineData("big")]
    public async Task UnusableSizeIsAUsageErrorNamingTheOption(string size)
    {
        var path = await BuildSmallAsync();

        var result = await CliRunner.RunAsync("model", "info", path, "--size", size);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--size", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DefaultModelShowsTheReferenceFigures()
    {
        var path = folder.File("default.onnx");
        var build = await CliRunner.RunAsync("model", "build", "--out", path, "--deep-supervision");
        Assert.Equal(ExitCodes.Success, build.ExitCode);

        var result = await CliRunner.RunAsync("model", "info", path, "--size", "96");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Contains($"Model {path}", result.Output, StringComparison.Ordinal);
        Assert.Equal(["103,041", "0.56 G"], Row(result.Output, "L1")[2..]);
        Assert.Equal(["519,105", "1.45 G"], Row(result.Output, "L2")[2..]);
        Assert.Equal(["2,236,161", "2.85 G"], Row(result.Output, "L3")[2..]);
        Assert.Equal(["9,163,428", "4.85 G"], Row(result.Output, "L4")[2..]);
        Assert.Equal(["9,163,428", "4.85 G"], Row(result.Output, "accurate")[2..]);
        Assert.Equal(["filters", "32, 64, 128, 256, 512"], Row(result.Output, "filters"));
        Assert.Equal(["normalization.mean", "0.485, 0.456, 0.406"], Row(result.Output, "normalization.mean"));
        Assert.Equal(["headOutputs", "final1, final2, final3, final4"], Row(result.Output, "headOutputs"));
        Assert.Equal(["precision", "fp32"], Row(result.Output, "precision"));
    }

    [Fact]
    public async Task HumanOutputHasNoColourCodesWhenNotInteractive()
    {
        var path = await BuildSmallAsync();

        var result = await CliRunner.RunAsync("model", "info", path);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.DoesNotContain('\u001b', result.Output);
        Assert.Equal(["activation", "sigmoid"], Row(result.Output, "activation"));
    }

    [Fact]
    public async Task TableNamesEveryKeyAsTheCardDoes()
    {
        var path = await BuildSmallAsync();

        var result = await CliRunner.RunAsync("model", "info", path);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var card = JsonDocument.Parse(ModelFile.Load(path).Card.ToJson());
        foreach (var key in card.RootElement.EnumerateObject())
        {
            var names = key.Value.ValueKind == JsonValueKind.Object
                ? key.Value.EnumerateObject().Select(inner => $"{key.Name}.{inner.Name}")
                : [key.Name];
            Assert.All(names, name => Assert.Equal(name, Row(result.Output, name)[0]));
        }

        Assert.Equal(["inChannels", "3"], Row(result.Output, "inChannels"));
        Assert.Equal(["deepSupervision", "true"], Row(result.Output, "deepSupervision"));
    }

    [Fact]
    public async Task SidecarWithAMisspeltKeyIsRefusedNamingTheKnownOne()
    {
        var path = await BuildSmallAsync();
        await File.WriteAllTextAsync(
            path + ".card.json",
            ModelFile.Load(path).Card.ToJson().Replace("\"normalization\"", "\"normalisation\"", StringComparison.Ordinal));

        var result = await CliRunner.RunAsync("model", "info", path);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(
            $"{path}.card.json: model card: unknown key 'normalisation'; did you mean 'normalization'?", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonPutsNothingButJsonOnStdout()
    {
        var path = await BuildSmallAsync();

        var result = await CliRunner.RunAsync("model", "info", path, "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.StartsWith("{", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("}", result.Output.TrimEnd(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.Output);
    }

    [Fact]
    public async Task SidecarCardIsShown()
    {
        var path = await BuildSmallAsync();
        var card = ModelFile.Load(path).Card with { Threshold = 0.25f, TileSize = 512 };
        await File.WriteAllTextAsync(path + ".card.json", card.ToJson());

        var result = await CliRunner.RunAsync("model", "info", path, "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(0.25f, json.RootElement.GetProperty("card").GetProperty("threshold").GetSingle());
        Assert.Equal(512, json.RootElement.GetProperty("card").GetProperty("tileSize").GetInt32());
    }

    [Fact]
    public async Task SingleHeadModelHasOnlyTheL4Mode()
    {
        var path = folder.File("one-head.onnx");
        await CliRunner.RunAsync("model", "build", "--out", path, "--filters", "4,8,16,32,64");

        var result = await CliRunner.RunAsync("model", "info", path, "--json");

        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(["L4"], json.RootElement.GetProperty("modes").EnumerateArray().Select(m => m.GetProperty("mode").GetString()));
    }

    [Fact]
    public async Task ForeignModelShowsUnknownMultiplyAccumulatesAsNotAvailable()
    {
        var path = await BuildSmallAsync();
        var card = ModelFile.Load(path).Card with { Architecture = "exported", Filters = [] };
        await File.WriteAllTextAsync(path + ".card.json", card.ToJson());

        var human = await CliRunner.RunAsync("model", "info", path);
        var json = await CliRunner.RunAsync("model", "info", path, "--json");

        Assert.Equal(ExitCodes.Success, human.ExitCode);
        Assert.Equal("n/a", Row(human.Output, "L1")[^1]);
        using var document = JsonDocument.Parse(json.Output);
        Assert.All(
            document.RootElement.GetProperty("modes").EnumerateArray(),
            m => Assert.Equal(JsonValueKind.Null, m.GetProperty("multiplyAccumulates").ValueKind));
    }

    [Fact]
    public async Task TextFileNamedOnnxIsAUsageErrorNamingTheFile()
    {
        var path = folder.File("notes.onnx");
        await File.WriteAllTextAsync(path, "these are notes, not a model");

        var result = await CliRunner.RunAsync("model", "info", path, "--json");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Contains(path, result.Error, StringComparison.Ordinal);
        Assert.Contains("not an ONNX model", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingFileIsAUsageErrorNamingTheFile()
    {
        var path = folder.File("absent.onnx");

        var result = await CliRunner.RunAsync("model", "info", path);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(path, result.Error, StringComparison.Ordinal);
        Assert.Contains("not found", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RankThreeInputIsAUsageError()
    {
        var path = await BuildSmallAsync();
        var model = ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(path));
        model.Graph.Input[0].Type.TensorType.Shape.Dim.RemoveAt(3);
        await File.WriteAllBytesAsync(path, model.ToByteArray());

        var result = await CliRunner.RunAsync("model", "info", path);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(path, result.Error, StringComparison.Ordinal);
        Assert.Contains("rank 3", result.Error, StringComparison.Ordinal);
    }

    private async Task<string> BuildSmallAsync()
    {
        var path = folder.File("small.onnx");
        var result = await CliRunner.RunAsync("model", "build", "--out", path, "--filters", "4,8,16,32,64", "--deep-supervision");
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        return path;
    }

    private static long L4MultiplyAccumulates(JsonDocument json) =>
        json.RootElement.GetProperty("modes").EnumerateArray()
            .Single(m => m.GetProperty("mode").GetString() == "L4")
            .GetProperty("multiplyAccumulates").GetInt64();

    /// <summary>The cells of the table row whose first cell is <paramref name="first"/>.</summary>
    private static string[] Row(string output, string first)
    {
        var rows = output.Split('\n')
            .Select(line => line.Split(['│', '|'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(cells => cells.Length > 1 && cells[0] == first)
            .ToList();
        return Assert.Single(rows);
    }
}
