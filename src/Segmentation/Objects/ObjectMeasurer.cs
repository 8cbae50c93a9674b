using NetTopologySuite.Geometries;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// Measures one object from its crop: the numbers of its table row and of its QuPath measurements. Shape
/// measures follow scikit-image's regionprops where it defines them, so tables compare with Python analyses.
/// </summary>
public static class ObjectMeasurer
{
    private static readonly GeometryFactory Factory = new();

    /// <summary>Boundary-pixel patterns of scikit-image's perimeter and the length each stands for, indexed by pattern code.</summary>
    private static readonly double[] PerimeterWeights = BuildPerimeterWeights();

    /// <summary>
    /// Measures <paramref name="imageObject"/>; the physical sizes are filled in only when
    /// <paramref name="pixelSize"/> is given.
    /// </summary>
    /// <remarks>
    /// The perimeter is scikit-image's <c>measure.perimeter</c> with 4-connectivity (its regionprops default):
    /// the pixels of the object that touch the background through a side, each weighted by the pattern of its
    /// boundary neighbours (1 along a straight run, √2 on a diagonal step, (1 + √2) / 2 at a corner). On a
    /// digital disk of radius 5 to 100 pixels it is 5 % to 5.5 % above 2πr, where the pixel-edge outline's
    /// length would be 8r; on shapes one pixel thin it undercounts, as scikit-image's does.
    /// </remarks>
    public static ObjectMeasurements Measure(ImageObject imageObject, PhysicalPixelSize? pixelSize)
    {
        var box = imageObject.Box;
        var pixels = imageObject.Pixels;
        if (pixels.Length != box.Area || imageObject.Probability.Length != box.Area
            || imageObject.Channels.Any(channel => channel.Length != box.Area))
        {
            throw new ArgumentException(
                $"Object {imageObject.Id} does not fit its box: a {box.Width}×{box.Height} box holds {box.Area} pixels, "
                + "and its mask, probabilities and channels must each have that many.", nameof(imageObject));
        }

        var channels = imageObject.Channels.Count;
        var sums = new double[channels];
        var maxima = new double[channels];
        Array.Fill(maxima, double.NegativeInfinity);
        long area = 0;
        double sumX = 0, sumY = 0, sumProbability = 0;
        for (var y = 0; y < box.Height; y++)
        {
            for (var x = 0; x < box.Width; x++)
            {
                var i = y * box.Width + x;
                if (!pixels[i])
                {
                    continue;
                }
                area++;
                sumX += x;
                sumY += y;
                sumProbability += imageObject.Probability[i];
                for (var c = 0; c < channels; c++)
                {
                    var sample = imageObject.Channels[c][i];
                    sums[c] += sample;
                    maxima[c] = Math.Max(maxima[c], sample);
                }
            }
        }
        if (area == 0)
        {
            throw new ArgumentException($"Object {imageObject.Id} has no pixels in its box, so it cannot be measured.", nameof(imageObject));
        }

        // Centroids are of pixel centres: mean index + 0.5 in image coordinates.
        var localX = sumX / area;
        var localY = sumY / area;
        var centroidX = box.X + localX + 0.5;
        var centroidY = box.Y + localY + 0.5;
        var equivalentDiameter = Math.Sqrt(4 * area / Math.PI);
        var perimeter = Perimeter(box, pixels);
        var measurements = new ObjectMeasurements(
            (int)area,
            centroidX,
            centroidY,
            box,
            equivalentDiameter,
            perimeter,
            Eccentricity(box, pixels, localX, localY, area),
            area / ConvexHullArea(box, pixels),
            [.. sums.Select(sum => sum / area)],
            maxima,
            sumProbability / area,
            null);
        if (pixelSize is null)
        {
            return measurements;
        }

        // Lengths in an image with non-square pixels have no single scale; the geometric mean of the two
        // pixel sides is the scale that keeps a length consistent with the exact area (diameter² ∝ area).
        var lengthScale = Math.Sqrt(pixelSize.XMicrometres * pixelSize.YMicrometres);
        return measurements with
        {
            Physical = new PhysicalObjectSize(
                area * pixelSize.XMicrometres * pixelSize.YMicrometres,
                centroidX * pixelSize.XMicrometres,
                centroidY * pixelSize.YMicrometres,
                equivalentDiameter * lengthScale,
                perimeter * lengthScale),
        };
    }

    /// <summary>
    /// scikit-image's eccentricity: √(1 − λ₂ / λ₁) of the eigenvalues of the pixel centres' covariance
    /// (second central moments over the area), 0 when both are 0 as for a single pixel.
    /// </summary>
    private static double Eccentricity(PixelRect box, bool[] pixels, double meanX, double meanY, long area)
    {
        double xx = 0, yy = 0, xy = 0;
        for (var y = 0; y < box.Height; y++)
        {
            for (var x = 0; x < box.Width; x++)
            {
                if (pixels[y * box.Width + x])
                {
                    var dx = x - meanX;
                    var dy = y - meanY;
                    xx += dx * dx;
                    yy += dy * dy;
                    xy += dx * dy;
                }
            }
        }
        xx /= area;
        yy /= area;
        xy /= area;
        var half = (xx + yy) / 2;
        var spread = Math.Sqrt((xx - yy) * (xx - yy) / 4 + xy * xy);
        var major = Math.Max(half + spread, 0);
        var minor = Math.Max(half - spread, 0);
        return major == 0 ? 0 : Math.Sqrt(1 - minor / major);
    }

    private static double Perimeter(PixelRect box, bool[] pixels)
    {
        var width = box.Width;
        var height = box.Height;
        bool Inside(int x, int y) => x >= 0 && y >= 0 && x < width && y < height && pixels[y * width + x];

        // Boundary pixels: the object less its erosion by the 4-neighbourhood, with background beyond the box.
        var boundary = new bool[pixels.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                boundary[y * width + x] = Inside(x, y)
                    && !(Inside(x - 1, y) && Inside(x + 1, y) && Inside(x, y - 1) && Inside(x, y + 1));
            }
        }
        bool OnBoundary(int x, int y) => x >= 0 && y >= 0 && x < width && y < height && boundary[y * width + x];

        var perimeter = 0.0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (!boundary[y * width + x])
                {
                    continue;
                }
                // The code of scikit-image's 3×3 kernel [[10, 2, 10], [2, 1, 2], [10, 2, 10]] at this pixel.
                var code = 1;
                code += 2 * (Count(OnBoundary(x - 1, y)) + Count(OnBoundary(x + 1, y)) + Count(OnBoundary(x, y - 1)) + Count(OnBoundary(x, y + 1)));
                code += 10 * (Count(OnBoundary(x - 1, y - 1)) + Count(OnBoundary(x + 1, y - 1)) + Count(OnBoundary(x - 1, y + 1)) + Count(OnBoundary(x + 1, y + 1)));
                perimeter += PerimeterWeights[code];
            }
        }
        return perimeter;
    }

    private static int Count(bool value) => value ? 1 : 0;

    private static double[] BuildPerimeterWeights()
    {
        var weights = new double[50];
        foreach (var code in (int[])[5, 7, 15, 17, 25, 27])
        {
            weights[code] = 1;
        }
        weights[21] = weights[33] = Math.Sqrt(2);
        weights[13] = weights[23] = (1 + Math.Sqrt(2)) / 2;
        return weights;
    }

    /// <summary>The area of the convex hull of the object's pixel squares: the hull of each row's outermost corners.</summary>
    private static double ConvexHullArea(PixelRect box, bool[] pixels)
    {
        var corners = new List<Coordinate>();
        for (var y = 0; y < box.Height; y++)
        {
            var row = pixels.AsSpan(y * box.Width, box.Width);
            var first = row.IndexOf(true);
            if (first < 0)
            {
                continue;
            }
            var last = row.LastIndexOf(true) + 1;
            corners.Add(new Coordinate(first, y));
            corners.Add(new Coordinate(first, y + 1));
            corners.Add(new Coordinate(last, y));
            corners.Add(new Coordinate(last, y + 1));
        }
        return Factory.CreateMultiPointFromCoords([.. corners]).ConvexHull().Area;
    }
}
