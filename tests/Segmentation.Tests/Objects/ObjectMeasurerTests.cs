using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Objects;

namespace UNetPP.Cluster.Segmentation.Tests.Objects;

// Expected shape values were computed with scikit-image's formulas (measure.perimeter with 4-connectivity,
// regionprops' eccentricity) on the same masks.
public sealed class ObjectMeasurerTests
{
    [Fact]
    public void ARectangleMeasuresItsSidesAndCentre()
    {
        var rectangle = TestObjects.Draw(5, 7, [.. Enumerable.Repeat(new string('#', 10), 4)]);

        var measured = ObjectMeasurer.Measure(rectangle, null);

        Assert.Equal(40, measured.AreaPixels);
        Assert.Equal(5 + 5.0, measured.CentroidX, 12);
        Assert.Equal(7 + 2.0, measured.CentroidY, 12);
        Assert.Equal(new PixelRect(5, 7, 10, 4), measured.Box);
        Assert.Equal(Math.Sqrt(160 / Math.PI), measured.EquivalentDiameter, 12);
        Assert.Equal(24.0, measured.Perimeter, 12);
        // Covariance of the pixel centres: var x = (10² − 1) / 12, var y = (4² − 1) / 12, none across.
        Assert.Equal(Math.Sqrt(1 - 15.0 / 99.0), measured.Eccentricity, 12);
        Assert.Equal(0.9211323729436766, measured.Eccentricity, 12);
        Assert.Equal(1.0, measured.Solidity, 12);
        Assert.Equal(0.5, measured.MeanProbability, 6);
        Assert.Null(measured.Physical);
    }

    [Theory]
    [InlineData(10, 317, 65.94112549695429)]
    [InlineData(20, 1257, 131.88225099390857)]
    [InlineData(50, 7845, 329.7056274847714)]
    public void ADisksPerimeterIsNearTwoPiR(int radius, int area, double scikitPerimeter)
    {
        var measured = ObjectMeasurer.Measure(TestObjects.Disk(radius), null);

        Assert.Equal(area, measured.AreaPixels);
        Assert.Equal(scikitPerimeter, measured.Perimeter, 9);
        // The estimator reads a digital disk about 5 % long; within 6 % of the true circle's length.
        Assert.InRange(measured.Perimeter / (2 * Math.PI * radius), 1.0, 1.06);
        Assert.Equal(0.0, measured.Eccentricity, 9);
        Assert.Equal(radius + 0.5, measured.CentroidX, 12);
        // The hull of the pixel squares reaches past the staircase edge.
        Assert.InRange(measured.Solidity, 0.9, 1.0);
    }

    [Fact]
    public void ARingWithAHoleCountsOnlyItsPixels()
    {
        var ring = TestObjects.Draw(0, 0, "#####", "#...#", "#...#", "#...#", "#####");

        var measured = ObjectMeasurer.Measure(ring, null);

        Assert.Equal(16, measured.AreaPixels);
        Assert.Equal(2.5, measured.CentroidX, 12);
        Assert.Equal(2.5, measured.CentroidY, 12);
        Assert.Equal(0.0, measured.Eccentricity, 12);
        // The hull is the whole 5 × 5 square.
        Assert.Equal(16.0 / 25.0, measured.Solidity, 12);
        Assert.Equal(16.0, measured.Perimeter, 12);
    }

    [Fact]
    public void AnLShapeHasAHullLargerThanItself()
    {
        var shape = TestObjects.Draw(0, 0, "#..", "#..", "#..", "###");

        var measured = ObjectMeasurer.Measure(shape, null);

        Assert.Equal(6, measured.AreaPixels);
        Assert.Equal((0 + 0 + 0 + 0 + 1 + 2) / 6.0 + 0.5, measured.CentroidX, 12);
        Assert.Equal((0 + 1 + 2 + 3 + 3 + 3) / 6.0 + 0.5, measured.CentroidY, 12);
        // Hull corners (0,0), (1,0), (3,3), (3,4), (0,4): the 3 × 4 box less a 2 × 3 triangle, 9.
        Assert.Equal(6 / 9.0, measured.Solidity, 12);
        Assert.Equal(0.8885233166386386, measured.Eccentricity, 12);
        Assert.Equal(4.0, measured.Perimeter, 12);
    }

    [Fact]
    public void IntensitiesAreTakenPerChannelOverTheObjectsPixelsOnly()
    {
        var imageObject = TestObjects.Draw(0, 0, "#.", "##") with
        {
            Channels = [[1, 100, 3, 5], [10, -1, 20, 60]],
            Probability = [0.9f, 0.1f, 0.6f, 0.3f],
        };

        var measured = ObjectMeasurer.Measure(imageObject, null);

        Assert.Equal([3.0, 30.0], measured.MeanIntensity);
        Assert.Equal([5.0, 60.0], measured.MaxIntensity);
        Assert.Equal(0.6, measured.MeanProbability, 6);
    }

    [Fact]
    public void APixelSizeAddsMicrometres()
    {
        var rectangle = TestObjects.Draw(2, 0, "####", "####");
        var plain = ObjectMeasurer.Measure(rectangle, null);

        var measured = ObjectMeasurer.Measure(rectangle, new PhysicalPixelSize(0.5, 2.0));

        var physical = Assert.IsType<PhysicalObjectSize>(measured.Physical);
        Assert.Equal(8 * 0.5 * 2.0, physical.AreaSquareMicrometres, 12);
        Assert.Equal(4.0 * 0.5, physical.CentroidXMicrometres, 12);
        Assert.Equal(1.0 * 2.0, physical.CentroidYMicrometres, 12);
        // Lengths scale by the geometric mean of the pixel sides, here 1 µm.
        Assert.Equal(plain.Perimeter, physical.PerimeterMicrometres, 12);
        Assert.Equal(Math.Sqrt(4 * physical.AreaSquareMicrometres / Math.PI), physical.EquivalentDiameterMicrometres, 12);
        Assert.Equal((plain.AreaPixels, plain.CentroidX, plain.Perimeter), (measured.AreaPixels, measured.CentroidX, measured.Perimeter));
    }

    [Fact]
    public void AnObjectThatDoesNotFitItsBoxIsRejectedInWords()
    {
        var broken = TestObjects.Draw(0, 0, "##") with { Probability = [1f] };

        var error = Assert.Throws<ArgumentException>(() => ObjectMeasurer.Measure(broken, null));

        Assert.Contains("does not fit its box", error.Message, StringComparison.Ordinal);
    }
}
