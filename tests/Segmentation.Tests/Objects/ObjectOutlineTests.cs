using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Objects;

namespace UNetPP.Cluster.Segmentation.Tests.Objects;

public sealed class ObjectOutlineTests
{
    [Fact]
    public void OnePixelIsItsSquareInImageCoordinates()
    {
        var outline = Assert.IsType<Polygon>(ObjectOutline.Trace(TestObjects.Draw(7, 3, "#")));

        Assert.True(outline.IsValid);
        Assert.Equal(1.0, outline.Area);
        Assert.Equal(new Envelope(7, 8, 3, 4), outline.EnvelopeInternal);
        Assert.Equal(5, outline.Shell.NumPoints);
    }

    [Fact]
    public void ARectangleKeepsOnlyItsFourCornersAndRunsCounterClockwise()
    {
        var outline = Assert.IsType<Polygon>(ObjectOutline.Trace(TestObjects.Draw(2, 1, "#####", "#####")));

        Assert.Equal(
            [new(2, 1), new(7, 1), new(7, 3), new(2, 3), new Coordinate(2, 1)],
            outline.Shell.Coordinates);
        Assert.True(Orientation.IsCCW(outline.Shell.CoordinateSequence));
    }

    [Fact]
    public void AHoleIsAClockwiseInteriorRing()
    {
        var ring = TestObjects.Draw(0, 0, "#####", "#...#", "#...#", "#...#", "#####");

        var outline = Assert.IsType<Polygon>(ObjectOutline.Trace(ring));

        Assert.True(outline.IsValid);
        Assert.Equal(16.0, outline.Area);
        var hole = Assert.Single(outline.Holes);
        Assert.Equal(new Envelope(1, 4, 1, 4), hole.EnvelopeInternal);
        Assert.False(Orientation.IsCCW(hole.CoordinateSequence));
    }

    [Fact]
    public void AHoleTouchingTheOutsideAtACornerStaysAValidHole()
    {
        var shape = TestObjects.Draw(0, 0, ".###", "#..#", "#..#", "####");

        var outline = Assert.IsType<Polygon>(ObjectOutline.Trace(shape));

        Assert.True(outline.IsValid);
        Assert.Equal(11.0, outline.Area);
        Assert.Single(outline.Holes);
    }

    [Fact]
    public void PixelsTouchingOnlyDiagonallyArePiecesOfAMultiPolygon()
    {
        var outline = Assert.IsType<MultiPolygon>(ObjectOutline.Trace(TestObjects.Draw(0, 0, "#.", ".#")));

        Assert.True(outline.IsValid);
        Assert.Equal(2, outline.NumGeometries);
        Assert.Equal(2.0, outline.Area);
    }

    [Fact]
    public void APieceInsideAHoleIsItsOwnPolygon()
    {
        var shape = TestObjects.Draw(0, 0, "#####", "#...#", "#.#.#", "#...#", "#####");

        var outline = Assert.IsType<MultiPolygon>(ObjectOutline.Trace(shape));

        Assert.True(outline.IsValid);
        Assert.Equal(17.0, outline.Area);
        Assert.Single(((Polygon)outline.GetGeometryN(0)).Holes);
        Assert.Empty(((Polygon)outline.GetGeometryN(1)).Holes);
    }

    [Fact]
    public void ObjectsSharingAnEdgeShareItInTheirOutlines()
    {
        var left = TestObjects.Draw(1, 1, 0, 0, "##", "##", ".#");
        var right = TestObjects.Draw(2, 1, 2, 0, "#", "#", "#");

        var a = ObjectOutline.Trace(left);
        var b = ObjectOutline.Trace(right);

        Assert.True(a.IsValid && b.IsValid);
        Assert.True(a.Touches(b));
        Assert.Equal(3.0, a.Intersection(b).Length);
        Assert.Equal(0.0, a.Intersection(b).Area);
    }

    [Fact]
    public void RandomPixelsGiveValidOutlinesWithTheirPixelArea()
    {
        var random = new Random(20261206);
        for (var trial = 0; trial < 300; trial++)
        {
            var width = random.Next(1, 10);
            var height = random.Next(1, 10);
            var pixels = Enumerable.Range(0, width * height).Select(_ => random.NextDouble() < 0.6).ToArray();
            if (!pixels.Contains(true))
            {
                continue;
            }
            var imageObject = new ImageObject(1, 1, new PixelRect(3, 4, width, height), pixels, new float[pixels.Length], []);

            var outline = ObjectOutline.Trace(imageObject);

            Assert.True(outline.IsValid, $"{outline} is not valid");
            Assert.Equal(pixels.Count(p => p), outline.Area);
        }
    }
}
