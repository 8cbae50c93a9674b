using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

/// <summary>The device words operators write in <c>--device</c> and <c>Inference:Devices</c>.</summary>
public sealed class DeviceChoiceTests
{
    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData("CUDA:1", "cuda:1")]
    [InlineData("cuda", "cuda:0")]
    [InlineData(" cuda:12 ", "cuda:12")]
    public void NamedDevicesParseAsOperatorsWriteThem(string text, string device)
    {
        var choice = DeviceChoice.Parse(text);

        Assert.Equal(device, choice.Device?.ToString());
        Assert.Equal(device, choice.ToString());
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("Auto")]
    public void AutoNamesNoDeviceUntilItIsSettled(string text)
    {
        var choice = DeviceChoice.Parse(text);

        Assert.Equal(DeviceChoice.Auto, choice);
        Assert.Null(choice.Device);
        Assert.Equal("auto", choice.ToString());
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("cuda:")]
    [InlineData("")]
    public void OtherWordsAreRefusedNamingTheValueAndWhatIsAccepted(string text)
    {
        var error = Assert.Throws<FormatException>(() => DeviceChoice.Parse(text));

        Assert.Equal($"'{text}' is not an inference device; use auto, cpu or cuda:N (for example cuda:0).", error.Message);
    }
}
