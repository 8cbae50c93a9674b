namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>What one image's mask contains, per foreground class.</summary>
/// <param name="Width">Image width.</param>
/// <param name="Height">Image height.</param>
/// <param name="Classes">One entry per foreground class, in class order (a single entry for a one-output model).</param>
public sealed record ImageMaskSummary(int Width, int Height, IReadOnlyList<ClassMaskSummary> Classes);

/// <summary>
/// One foreground class of one image. Objects are 8-connected; area statistics are 0 when the class has
/// no object, and <see cref="MeanProbability"/> is 0 when it has no pixel.
/// </summary>
/// <param name="ClassIndex">1 for a one-output model, else the class index 1 … K − 1.</param>
/// <param name="PixelCount">Pixels assigned to the class.</param>
/// <param name="ForegroundFraction">PixelCount / (Width × Height).</param>
/// <param name="MeanProbability">Mean predicted probability of the class over its own pixels.</param>
/// <param name="ObjectAreas">Area in pixels of every object, largest first.</param>
public sealed record ClassMaskSummary(int ClassIndex, long PixelCount, double ForegroundFraction, double MeanProbability, IReadOnlyList<int> ObjectAreas)
{
    public int ObjectCount => ObjectAreas.Count;
    public int MinArea => ObjectAreas.Count == 0 ? 0 : ObjectAreas[^1];
    public int MaxArea => ObjectAreas.Count == 0 ? 0 : ObjectAreas[0];
    public double MeanArea => ObjectAreas.Count == 0 ? 0 : (double)PixelCount / ObjectAreas.Count;

    /// <summary>The middle area, or the mean of the two middle areas for an even count.</summary>
    public double MedianArea
    {
        get
        {
            var n = ObjectAreas.Count;
            if (n == 0)
            {
                return 0;
            }

            return n % 2 == 1 ? ObjectAreas[n / 2] : (ObjectAreas[(n / 2) - 1] + (double)ObjectAreas[n / 2]) / 2;
        }
    }
}

/// <summary>Summarises a mask for reports: coverage, objects and confidence per class.</summary>
public static class MaskStatistics
{
    /// <param name="mask">The mask built from <paramref name="probabilities"/>.</param>
    /// <param name="probabilities">The blended probabilities [K, H, W] the mask was built from.</param>
    public static ImageMaskSummary Summarise(SegmentationMask mask, ReadOnlySpan<float> probabilities) =>
        Summarise(mask, ClassTotals.Count(mask, probabilities));

    /// <summary>
    /// Summarises a mask whose per-class totals were counted elsewhere: a large image stitched from
    /// bands, whose probabilities were never all in one place.
    /// </summary>
    public static ImageMaskSummary Summarise(SegmentationMask mask, ClassTotals totals) =>
        Summarise(mask.Width, mask.Height, mask.Classes, ConnectedComponents.AreasByLabel(mask.Labels, mask.Width, mask.Height), totals);

    /// <summary>
    /// Summarises a mask that was never whole in memory: its objects counted row by row as it streamed
    /// past (<see cref="ConnectedComponents.AreasByLabel()"/>), its totals added up from its parts.
    /// </summary>
    /// <param name="width">Mask width.</param>
    /// <param name="height">Mask height.</param>
    /// <param name="classes">The model's output channels (K).</param>
    /// <param name="areasByLabel">Object areas by label value, as <see cref="ConnectedComponents"/> gives them.</param>
    /// <param name="totals">Pixels and probability sums per class.</param>
    public static ImageMaskSummary Summarise(int width, int height, int classes, List<int>[] areasByLabel, ClassTotals totals)
    {
        var foreground = classes == 1 ? 1 : classes - 1;
        if (totals.Pixels.Length != foreground + 1 || totals.ProbabilitySums.Length != foreground + 1)
        {
            throw new ArgumentException($"Expected totals for {foreground} foreground class(es).", nameof(totals));
        }

        var plane = (long)width * height;
        var summaries = new ClassMaskSummary[foreground];
        for (var cls = 1; cls <= foreground; cls++)
        {
            var areas = areasByLabel[classes == 1 ? SegmentationMask.BinaryForeground : cls];
            areas.Sort((a, b) => b.CompareTo(a));
            var pixels = totals.Pixels[cls];
            var mean = pixels == 0 ? 0 : totals.ProbabilitySums[cls] / pixels;
            summaries[cls - 1] = new ClassMaskSummary(cls, pixels, (double)pixels / plane, mean, areas);
        }

        return new ImageMaskSummary(width, height, summaries);
    }
}

/// <summary>
/// Per foreground class (index 1 … F; index 0 is unused): pixels assigned to it and the sum of its
/// probability over them. Totals of disjoint parts of an image add up to the whole image's.
/// </summary>
public sealed record ClassTotals(long[] Pixels, double[] ProbabilitySums)
{
    /// <param name="mask">The mask built from <paramref name="probabilities"/>.</param>
    /// <param name="probabilities">The blended probabilities [K, H, W] the mask was built from.</param>
    public static ClassTotals Count(SegmentationMask mask, ReadOnlySpan<float> probabilities)
    {
        var plane = mask.Width * mask.Height;
        if (probabilities.Length != (long)mask.Classes * plane)
        {
            throw new ArgumentException($"Expected {mask.Classes}×{mask.Height}×{mask.Width} probabilities.", nameof(probabilities));
        }

        var pixels = new long[mask.ForegroundClasses + 1];
        var sums = new double[mask.ForegroundClasses + 1];
        var labels = mask.Labels;
        for (var i = 0; i < plane; i++)
        {
            var cls = mask.ClassOf(labels[i]);
            if (cls == 0)
            {
                continue;
            }

            pixels[cls]++;
            // One-output models have a single probability plane; otherwise the class's own plane.
            sums[cls] += probabilities[(mask.Classes == 1 ? 0 : cls * plane) + i];
        }

        return new ClassTotals(pixels, sums);
    }

    public ClassTotals Plus(ClassTotals other)
    {
        if (other.Pixels.Length != Pixels.Length)
        {
            throw new ArgumentException("Totals of different class counts cannot be added.", nameof(other));
        }

        return new ClassTotals(
            [.. Pixels.Zip(other.Pixels, (a, b) => a + b)],
            [.. ProbabilitySums.Zip(other.ProbabilitySums, (a, b) => a + b)]);
    }
}
