using System.Text;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Workers;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>An image's manifest: what makes its outputs current or not, said in the user's words.</summary>
public sealed class ImageManifestTests
{
    private static readonly JobSpec Spec = Work.Spec("in", "out");

    [Fact]
    public void AManifestReadBackIsCurrentForTheSameInputModelAndOptions()
    {
        var manifest = ImageManifest.FromJson(Manifest(Spec, tile: 64).ToJson())!;

        Assert.Null(manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec, 64)));
        Assert.Equal(0.5, Assert.Single(manifest.Summary.Classes).ForegroundFraction);
        Assert.Equal(123, manifest.Outputs["masks/a.png"]);
    }

    [Fact]
    public void EachDifferenceIsNamed()
    {
        var manifest = Manifest(Spec, tile: 64);

        Assert.Equal("input changed", manifest.WhyNotCurrent(10, "other", "model", OutputOptions.Of(Spec, 64)));
        Assert.Equal("input changed", manifest.WhyNotCurrent(11, "input", "model", OutputOptions.Of(Spec, 64)));
        Assert.Equal("model changed", manifest.WhyNotCurrent(10, "input", "other", OutputOptions.Of(Spec, 64)));
        Assert.Equal("option --tile changed (64 → 128)", manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec, 128)));
        Assert.Equal("option --mode changed (L4 → L1)", manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec with { Mode = "L1" }, 64)));
        Assert.Equal("option --tta changed (off → on)", manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec with { Tta = true }, 64)));
        Assert.Equal("option --normalize changed (not set → percentile:1,99.8)", manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec with { Normalize = "percentile:1,99.8" }, 64)));
        Assert.Equal("option --channels changed (not set → DAPI)", manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec with { Channels = "DAPI" }, 64)));
        Assert.Equal("option --mask-format changed (not set → ome-tiff)", manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec with { MaskFormat = "ome-tiff" }, 64)));
        var ome = Manifest(Spec with { MaskFormat = "ome-tiff" }, tile: 64);
        Assert.Equal("option --mask-format changed (ome-tiff → not set)", ome.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec, 64)));
        Assert.Equal("option --mask-format changed (ome-tiff → tiff)", ome.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec with { MaskFormat = "tiff" }, 64)));
    }

    [Fact]
    public void OptionsThatGiveTheSameBytesDoNotMatter()
    {
        var manifest = Manifest(Spec, tile: 64);
        var spread = Spec with { BatchSize = 16, ShardSize = 1, MaxAttempts = 9, Resume = true, MaskFormat = "png" };

        Assert.Null(manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(spread, 64)));
    }

    [Fact]
    public void ANewSasForTheSameLabelsKeepsOutputsCurrentAndNoSignatureIsRecorded()
    {
        const string labels = "https://lab.blob.core.windows.net/truth/plate1";
        var manifest = Manifest(Spec with { Labels = labels + "?sv=2026-06-06&sp=rl&sig=Zmlyc3Q%3D" }, tile: 64);

        Assert.Null(manifest.WhyNotCurrent(10, "input", "model", OutputOptions.Of(Spec with { Labels = labels + "?sv=2026-06-06&sp=rl&sig=c2Vjb25k" }, 64)));
        Assert.Equal(labels, manifest.Options.Values["--labels"]);
        Assert.DoesNotContain("sig=", Encoding.UTF8.GetString(manifest.ToJson()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"image\": \"a.png\"}")]
    public void ADamagedManifestIsNone(string json) => Assert.Null(ImageManifest.FromJson(Encoding.UTF8.GetBytes(json)));

    private static ImageManifest Manifest(JobSpec spec, int tile) => new(
        "a.png",
        10,
        "input",
        "model",
        OutputOptions.Of(spec, tile),
        new Dictionary<string, long> { ["masks/a.png"] = 123 },
        ((ImageSegmented)Work.Segmented("a.png")).Summary,
        "job-0",
        "1.0.0");
}
