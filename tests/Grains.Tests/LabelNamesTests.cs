using UNetPP.Cluster.Grains.Storage;

namespace UNetPP.Cluster.Grains.Tests;

public sealed class LabelNamesTests
{
    [Theory]
    [InlineData("n1", new[] { "n1.png" }, "n1.png")]
    [InlineData("n1", new[] { "n1_mask.png" }, "n1_mask.png")]
    [InlineData("n1", new[] { "n1_masks.tif", "n1_labels.png" }, "n1_masks.tif")]
    [InlineData("n1", new[] { "n1_label.jpeg" }, "n1_label.jpeg")]
    [InlineData("n1", new[] { "n1.mask.TIF" }, "n1.mask.TIF")]
    [InlineData("n1", new[] { "n1_mask.png", "n1.tif" }, "n1.tif")]
    [InlineData("plate/n1", new[] { "plate/n1_Mask.png" }, "plate/n1_Mask.png")]
    [InlineData("n1", new[] { "n10.png", "n1_mask.txt", "n1-copy.png", "n1/x.png" }, null)]
    public void TheUsualNamesOfAnImagesLabelAreFoundAndTheBareStemIsPreferred(string stem, string[] names, string? expected)
    {
        Assert.Equal(expected, LabelNames.Choose(stem, names));
    }

    [Theory]
    [InlineData("n1", new[] { "n1.ome.tif" }, "n1.ome.tif")]
    [InlineData("n1", new[] { "n1_mask.ome.tiff" }, "n1_mask.ome.tiff")]
    [InlineData("n1", new[] { "n1.ome.png", "n1.omega.tif" }, null)]
    [InlineData("x.ome", new[] { "x.ome.tif" }, "x.ome.tif")]
    [InlineData("x.z3", new[] { "x.z3.ome.tif", "x.z3_mask.png" }, "x.z3.ome.tif")]
    public void AnOmeTiffMaskOfAnEarlierJobIsTheLabelOfItsImage(string stem, string[] names, string? expected)
    {
        Assert.Equal(expected, LabelNames.Choose(stem, names));
    }
}
