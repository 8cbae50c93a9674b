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
    public void AnOmeTiffMaskOfAnEarlierJobIsTheLabelOfItsImage(string stem, string[] names, string? expected)
    {
        Assert.Equal(expected, LabelNames.Choose(stem, names));
    }

    [Theory]
    [InlineData("n1.ome.tif", "n1")]
    [InlineData("plate/n1.OME.TIFF", "plate/n1")]
    [InlineData("n1.png", "n1")]
    [InlineData("n1.ome.png", "n1.ome")]
    [InlineData("n1.tif#z3", "n1.z3")]
    [InlineData("n1.ome.tif#z3.t1", "n1.z3.t1")]
    public void AnOmeTiffImagesLabelsAreLookedForByItsStemWithoutOme(string image, string stem)
    {
        Assert.Equal(stem, LabelNames.StemOf(image));
    }
}
