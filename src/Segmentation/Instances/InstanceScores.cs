namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// How well predicted objects match ground-truth objects in one image, or in several added up.
/// Objects match when their IoU is above 0.5, where a match can only be one to one.
/// </summary>
/// <param name="TruthObjects">Objects in the ground truth.</param>
/// <param name="PredictedObjects">Objects predicted.</param>
/// <param name="Matched">Pairs matched at IoU above 0.5 (true positives).</param>
/// <param name="MatchedIoUSum">The matched pairs' IoUs added up.</param>
/// <param name="Dsb">The Data Science Bowl 2018 score: the mean over IoU thresholds 0.5, 0.55 … 0.95 of
/// TP / (TP + FP + FN); over several images, the mean of theirs, as the competition scored.</param>
/// <param name="Images">Images scored.</param>
/// <param name="Merges">Predicted objects that each cover more than half of two or more truth objects.</param>
/// <param name="Splits">Truth objects more than half of each of two or more predicted objects lies in.</param>
public sealed record InstanceScores(int TruthObjects, int PredictedObjects, int Matched, double MatchedIoUSum, double Dsb, int Images, int Merges, int Splits)
{
    /// <summary>Predicted objects with no match (false positives).</summary>
    public int Unmatched => PredictedObjects - Matched;

    /// <summary>Truth objects with no match (false negatives).</summary>
    public int Missed => TruthObjects - Matched;

    /// <summary>Matched ÷ predicted; 1 when nothing was predicted.</summary>
    public double Precision => PredictedObjects == 0 ? 1 : (double)Matched / PredictedObjects;

    /// <summary>Matched ÷ truth; 1 when there is nothing to find.</summary>
    public double Recall => TruthObjects == 0 ? 1 : (double)Matched / TruthObjects;

    /// <summary>2·TP / (2·TP + FP + FN) at IoU 0.5; 1 when there is neither truth nor prediction.</summary>
    public double F1 => TruthObjects + PredictedObjects == 0 ? 1 : 2.0 * Matched / (TruthObjects + PredictedObjects);

    /// <summary>The mean IoU of the matched pairs; 0 when none matched.</summary>
    public double MeanMatchedIoU => Matched == 0 ? 0 : MatchedIoUSum / Matched;

    /// <summary>The scores of several images: counts add up, the DSB score is the mean of the images'.</summary>
    public static InstanceScores Combine(IReadOnlyCollection<InstanceScores> images) =>
        new(
            images.Sum(s => s.TruthObjects),
            images.Sum(s => s.PredictedObjects),
            images.Sum(s => s.Matched),
            images.Sum(s => s.MatchedIoUSum),
            images.Count == 0 ? 1 : images.Sum(s => s.Dsb * s.Images) / images.Sum(s => s.Images),
            images.Sum(s => s.Images),
            images.Sum(s => s.Merges),
            images.Sum(s => s.Splits));
}
