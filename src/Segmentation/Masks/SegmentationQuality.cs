using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>Agreement of a prediction with ground truth for one class, with the counts behind it.</summary>
/// <param name="ClassIndex">1 for a one-output model, else the class index.</param>
/// <param name="IoU">(|P ∩ T| + smooth) / (|P ∪ T| + smooth).</param>
/// <param name="Dice">(2·|P ∩ T| + smooth) / (|P| + |T| + smooth).</param>
/// <param name="Intersection">|P ∩ T| in pixels.</param>
/// <param name="Union">|P ∪ T| in pixels.</param>
/// <param name="PredictedPixels">|P|.</param>
/// <param name="TruthPixels">|T|.</param>
public sealed record ClassQuality(int ClassIndex, double IoU, double Dice, long Intersection, long Union, long PredictedPixels, long TruthPixels);

/// <summary>
/// IoU and Dice exactly as the seed's <c>metrics.py</c> computes them (<c>iou_score</c>, <c>dice_coef</c>),
/// including its smoothing term, so numbers are comparable with the seed's validation logs.
/// </summary>
public static class SegmentationQuality
{
    /// <summary>The seed's <c>smooth</c>, which makes two empty masks score 1 instead of 0/0.</summary>
    public const double Smooth = 1e-5;

    /// <summary>
    /// One-output model: predicted = p &gt; 0.5 (the seed's <c>sigmoid(output) &gt; 0.5</c>; note the strict
    /// inequality, unlike the mask's p ≥ threshold), truth = label / 255 &gt; 0.5, i.e. a ground-truth value ≥ 128.
    /// </summary>
    /// <param name="imageName">The segmented image, named in size-mismatch errors.</param>
    /// <param name="probabilities">Foreground probabilities [H, W].</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="groundTruthName">The ground-truth file, named in size-mismatch errors.</param>
    /// <param name="groundTruth">The ground-truth mask as 8-bit gray.</param>
    public static ClassQuality Binary(string imageName, ReadOnlySpan<float> probabilities, int width, int height, string groundTruthName, Gray8Image groundTruth)
    {
        CheckSize(imageName, width, height, groundTruthName, groundTruth);
        if (probabilities.Length != (long)width * height)
        {
            throw new ArgumentException($"Expected {height}×{width} probabilities.", nameof(probabilities));
        }

        long intersection = 0, predicted = 0, truth = 0;
        var labels = groundTruth.Pixels;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var p = probabilities[i] > 0.5f;
            var t = labels[i] >= 128;
            predicted += p ? 1 : 0;
            truth += t ? 1 : 0;
            intersection += p && t ? 1 : 0;
        }

        return FromCounts(1, intersection, predicted, truth);
    }

    /// <summary>
    /// Multi-class model: for each class 1 … K − 1, predicted = mask pixels of that class (argmax) and
    /// truth = ground-truth pixels holding that class index.
    /// </summary>
    public static IReadOnlyList<ClassQuality> PerClass(string imageName, SegmentationMask mask, string groundTruthName, Gray8Image groundTruth)
    {
        if (mask.Classes < 2)
        {
            throw new ArgumentException("Per-class scores need a multi-class mask; use Binary for one-output models.", nameof(mask));
        }

        CheckSize(imageName, mask.Width, mask.Height, groundTruthName, groundTruth);
        var classes = mask.Classes;
        var intersection = new long[classes];
        var predicted = new long[classes];
        var truth = new long[classes];
        var labels = mask.Labels;
        var truthLabels = groundTruth.Pixels;
        for (var i = 0; i < labels.Length; i++)
        {
            int p = labels[i], t = truthLabels[i];
            predicted[p]++;
            if (t < classes)
            {
                truth[t]++;
            }

            if (p == t)
            {
                intersection[p]++;
            }
        }

        var scores = new ClassQuality[classes - 1];
        for (var k = 1; k < classes; k++)
        {
            scores[k - 1] = FromCounts(k, intersection[k], predicted[k], truth[k]);
        }

        return scores;
    }

    /// <summary>Scores from pixel counts, with the seed's smoothing.</summary>
    public static ClassQuality FromCounts(int classIndex, long intersection, long predicted, long truth)
    {
        var union = predicted + truth - intersection;
        var iou = (intersection + Smooth) / (union + Smooth);
        var dice = ((2.0 * intersection) + Smooth) / (predicted + truth + Smooth);
        return new ClassQuality(classIndex, iou, dice, intersection, union, predicted, truth);
    }

    /// <summary>
    /// The scores of a whole image from the scores of disjoint parts of it: counts add up, and the
    /// scores are made from the sums, so they equal those of the image scored at once.
    /// </summary>
    public static IReadOnlyList<ClassQuality> Combine(IEnumerable<IReadOnlyList<ClassQuality>> parts) =>
        [.. parts.SelectMany(part => part)
            .GroupBy(q => q.ClassIndex)
            .OrderBy(g => g.Key)
            .Select(g => FromCounts(g.Key, g.Sum(q => q.Intersection), g.Sum(q => q.PredictedPixels), g.Sum(q => q.TruthPixels)))];

    /// <summary>Throws <see cref="ImageRejectedException"/>, naming both files, when the ground truth is not the image's size.</summary>
    internal static void CheckSize(string imageName, int width, int height, string groundTruthName, Gray8Image groundTruth) =>
        CheckSize(imageName, width, height, groundTruthName, groundTruth.Width, groundTruth.Height);

    internal static void CheckSize(string imageName, int width, int height, string groundTruthName, int truthWidth, int truthHeight)
    {
        if (truthWidth != width || truthHeight != height)
        {
            throw new ImageRejectedException(groundTruthName, FormattableString.Invariant(
                $"the ground-truth mask is {truthWidth}×{truthHeight} but the image {imageName} is {width}×{height}"));
        }
    }
}
