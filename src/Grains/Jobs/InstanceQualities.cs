using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Instances;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// Instance scores and ground-truth kinds as the report carries them: the report's types cannot see the
/// segmentation's, so the mapping lives here, where both can be reached.
/// </summary>
public static class InstanceQualities
{
    /// <summary>The report's figures of <paramref name="scores"/>, one image's or several images' combined.</summary>
    public static InstanceQuality From(InstanceScores scores) => new()
    {
        F1 = scores.F1,
        Precision = scores.Precision,
        Recall = scores.Recall,
        MeanMatchedIoU = scores.MeanMatchedIoU,
        Dsb = scores.Dsb,
        TruthObjects = scores.TruthObjects,
        PredictedObjects = scores.PredictedObjects,
        Matched = scores.Matched,
        Merges = scores.Merges,
        Splits = scores.Splits,
        Images = scores.Images,
    };

    /// <summary>
    /// The job's figures from its images', as <see cref="InstanceScores.Combine"/> makes them: counts add up,
    /// F1, precision and recall come from the sums, the DSB score is the mean of the images'. Null when none was scored.
    /// </summary>
    public static InstanceQuality? Combine(IEnumerable<InstanceQuality> images)
    {
        var scores = images.Select(q => new InstanceScores(
            q.TruthObjects, q.PredictedObjects, q.Matched, q.MeanMatchedIoU * q.Matched, q.Dsb, q.Images, q.Merges, q.Splits)).ToList();
        return scores.Count == 0 ? null : From(InstanceScores.Combine(scores));
    }

    /// <summary>What the ground truth <paramref name="truth"/> was fed held, in the report's words.</summary>
    public static LabelsKind Labels(GroundTruthKind truth) =>
        truth.Classes > 1 ? LabelsKind.ClassMasks : truth.InstanceLabels ? LabelsKind.InstanceLabels : LabelsKind.BinaryMasks;
}
