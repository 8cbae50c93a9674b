using UNetPP.Cluster.Segmentation.Instances;

namespace UNetPP.Cluster.Segmentation.Tests.Instances;

/// <summary>Instance labels told from binary masks, whole or row by row.</summary>
public sealed class GroundTruthKindTests
{
    [Fact]
    public void SeveralNonZeroValuesOfSixteenBitsAreInstanceLabels() =>
        Assert.True(GroundTruthKind.IsInstanceLabels<ushort>([0, 0, 300, 300, 0, 301], classes: 1));

    [Fact]
    public void SeveralNonZeroValuesOfEightBitsAreInstanceLabels() =>
        Assert.True(GroundTruthKind.IsInstanceLabels<byte>([0, 1, 1, 0, 2, 2], classes: 1));

    [Theory]
    [InlineData(new byte[] { 0, 255, 255, 0, 255 })]
    [InlineData(new byte[] { 0, 1, 0, 1 })]
    [InlineData(new byte[] { 0, 0, 0 })]
    [InlineData(new byte[] { })]
    public void OneNonZeroValueOrNoneIsABinaryMask(byte[] labels) =>
        Assert.False(GroundTruthKind.IsInstanceLabels<byte>(labels, classes: 1));

    [Fact]
    public void AMultiClassModelsLabelsAreClassMasksNeverInstanceLabels() =>
        Assert.False(GroundTruthKind.IsInstanceLabels<byte>([0, 1, 2, 3], classes: 4));

    [Fact]
    public void RowsEachOfOneValueAreInstanceLabelsWhenTheValuesDiffer()
    {
        var kind = new GroundTruthKind(classes: 1);

        kind.AddRow<ushort>([0, 7, 7, 0]);
        Assert.False(kind.InstanceLabels);
        kind.AddRow<ushort>([0, 0, 0, 0]);
        kind.AddRow<ushort>([8, 8, 0, 0]);

        Assert.True(kind.InstanceLabels);
    }

    [Fact]
    public void RowsOfTheSameValueStayABinaryMask()
    {
        var kind = new GroundTruthKind(classes: 1);

        foreach (var row in new byte[][] { [0, 255], [255, 255], [0, 0] })
        {
            kind.AddRow<byte>(row);
        }

        Assert.False(kind.InstanceLabels);
    }
}
