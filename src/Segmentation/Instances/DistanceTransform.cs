namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// The exact Euclidean distance from each foreground pixel to the nearest background pixel, by
/// Felzenszwalb and Huttenlocher's lower envelope of parabolas, one pass down the columns and one
/// along the rows: linear time, and exact where a chamfer mask would be only near.
/// </summary>
public static class DistanceTransform
{
    /// <summary>Nothing lies beyond the image's edge: a field of foreground alone is this far from background.</summary>
    private const double Far = 1e20;

    /// <summary>Distances in pixels; 0 on background (<paramref name="foreground"/> false).</summary>
    public static float[] Euclidean(ReadOnlySpan<bool> foreground, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(foreground.Length, width * height, nameof(foreground));
        var squared = new double[foreground.Length];
        for (var i = 0; i < squared.Length; i++)
        {
            squared[i] = foreground[i] ? Far : 0;
        }

        var longest = Math.Max(width, height);
        var line = new double[longest];
        var result = new double[longest];
        var vertices = new int[longest];
        var bounds = new double[longest + 1];
        for (var x = 0; x < width; x++)
        {
            for (var y = 0; y < height; y++)
            {
                line[y] = squared[(y * width) + x];
            }

            LowerEnvelope(line, height, result, vertices, bounds);
            for (var y = 0; y < height; y++)
            {
                squared[(y * width) + x] = result[y];
            }
        }

        var distances = new float[foreground.Length];
        for (var y = 0; y < height; y++)
        {
            squared.AsSpan(y * width, width).CopyTo(line);
            LowerEnvelope(line, width, result, vertices, bounds);
            for (var x = 0; x < width; x++)
            {
                distances[(y * width) + x] = (float)Math.Sqrt(Math.Min(result[x], Far));
            }
        }

        return distances;
    }

    /// <summary>result[q] = min over p of (q − p)² + f[p], for the first <paramref name="n"/> entries.</summary>
    private static void LowerEnvelope(double[] f, int n, double[] result, int[] vertices, double[] bounds)
    {
        var k = 0;
        vertices[0] = 0;
        bounds[0] = double.NegativeInfinity;
        bounds[1] = double.PositiveInfinity;
        for (var q = 1; q < n; q++)
        {
            var s = Intersection(f, q, vertices[k]);
            while (s <= bounds[k])
            {
                k--;
                s = Intersection(f, q, vertices[k]);
            }

            k++;
            vertices[k] = q;
            bounds[k] = s;
            bounds[k + 1] = double.PositiveInfinity;
        }

        k = 0;
        for (var q = 0; q < n; q++)
        {
            while (bounds[k + 1] < q)
            {
                k++;
            }

            var d = q - vertices[k];
            result[q] = (d * (double)d) + f[vertices[k]];
        }
    }

    /// <summary>Where the parabolas rooted at <paramref name="q"/> and <paramref name="p"/> cross.</summary>
    private static double Intersection(double[] f, int q, int p) =>
        ((f[q] + ((double)q * q)) - (f[p] + ((double)p * p))) / (2.0 * (q - p));
}
