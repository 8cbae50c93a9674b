using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Segmentation.Tests.Model;

public sealed class ModelCardTests
{
    [Fact]
    public void CardJsonUsesCamelCaseAndRoundTrips()
    {
        var card = ModelCard.ForNestedUNet(new NestedUNetOptions { InChannels = 1, Classes = 3 });

        var json = card.ToJson();
        var back = ModelCard.FromJson(json);

        foreach (var key in new[] { "\"architecture\"", "\"inChannels\"", "\"headOutputs\"", "\"headsAreLogits\"", "\"allowColorToGray\"", "\"tileSize\"", "\"mean\"", "\"std\"" })
        {
            Assert.Contains(key, json, StringComparison.Ordinal);
        }

        Assert.Equal(json, back.ToJson());
        Assert.Equal(ModelCard.Softmax, back.Activation);
        Assert.Equal(["final1", "final2", "final3", "final4"], back.HeadOutputs);
        Assert.Equal(["L1", "L2", "L3", "L4", "accurate"], back.Modes);
    }

    [Fact]
    public void ACardFromBeforePrecisionWasRecordedReadsAsFp32AndFp16RoundTrips()
    {
        var card = ModelCard.ForNestedUNet(new NestedUNetOptions());
        var json = card.ToJson();
        var older = string.Join('\n', json.Split('\n').Where(line => !line.Contains("\"precision\"", StringComparison.Ordinal)));

        Assert.Contains("\"precision\": \"fp32\"", json, StringComparison.Ordinal);
        Assert.Equal(ModelCard.Fp32, ModelCard.FromJson(older).Precision);
        Assert.Equal(ModelCard.Fp16, ModelCard.FromJson((card with { Precision = ModelCard.Fp16 }).ToJson()).Precision);
    }

    [Fact]
    public void InputSpecCarriesChannelsAndNormalisation()
    {
        var rgb = ModelCard.ForNestedUNet(new NestedUNetOptions()).ToInputSpec();
        var gray = ModelCard.ForNestedUNet(new NestedUNetOptions { InChannels = 1 }).ToInputSpec();

        Assert.Equal(new InputSpec(3, false, InputNormalization.ImageNet), rgb);
        Assert.Equal(1, gray.Channels);
        Assert.True(gray.AllowColorToGray);
        Assert.Equal([0.5f], gray.Normalization.Mean);
    }

    [Theory]
    [InlineData("{\"tileSize\": 100}", "tileSize")]
    [InlineData("{\"activation\": \"tanh\"}", "activation")]
    [InlineData("{\"precision\": \"int8\"}", "precision")]
    [InlineData("{\"modes\": [\"L2\"]}", "four heads")]
    [InlineData("[1, 2]", "not valid JSON")]
    public void InvalidCardsAreRefusedWithTheReason(string json, string reason)
    {
        // Architecture "exported" so that the NestedUNet-specific rules do not fire first.
        var text = json.StartsWith('{') ? "{\"architecture\": \"exported\"," + json[1..] : json;

        var error = Assert.Throws<InvalidDataException>(() => ModelCard.FromJson(text));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"normalisation\": {\"mean\": [0.5], \"std\": [0.5]}}", "unknown key 'normalisation'; did you mean 'normalization'?")]
    [InlineData("{\"InChannels\": 1}", "unknown key 'InChannels'; did you mean 'inChannels'?")]
    [InlineData("{\"normalization\": {\"mean\": [0.5, 0.5, 0.5], \"stdev\": [1, 1, 1]}}", "unknown key 'normalization.stdev'; did you mean 'normalization.std'?")]
    public void UnknownKeysAreRefusedNamingTheNearestKnownKey(string json, string reason)
    {
        var error = Assert.Throws<InvalidDataException>(() => ModelCard.FromJson(json));

        Assert.Equal($"model card: {reason}", error.Message);
    }

    [Theory]
    [InlineData("L1", InferenceMode.L1)]
    [InlineData("l3", InferenceMode.L3)]
    [InlineData(" Accurate ", InferenceMode.Accurate)]
    [InlineData("ACCURATE", InferenceMode.Accurate)]
    public void ModeNamesParseCaseInsensitively(string text, InferenceMode mode) =>
        Assert.Equal(mode, InferenceModes.Parse(text));

    [Fact]
    public void UnknownModeListsTheValidNames()
    {
        var error = Assert.Throws<ArgumentException>(() => InferenceModes.Parse("fast"));

        Assert.Contains("L1, L2, L3, L4, accurate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsValidationNamesTheSetting()
    {
        Assert.Equal("Filters", Assert.Throws<ArgumentException>(() => new NestedUNetOptions { Filters = [1, 2, 3] }.Validate()).ParamName);
        Assert.Equal("Classes", Assert.Throws<ArgumentException>(() => new NestedUNetOptions { Classes = 0 }.Validate()).ParamName);
        Assert.Equal("InChannels", Assert.Throws<ArgumentException>(() => new NestedUNetOptions { InChannels = -1 }.Validate()).ParamName);
    }
}
