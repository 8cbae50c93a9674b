using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>What a worker tells the coordinator of a segmented image, whole or stitched from bands.</summary>
public static class ImageSummaries
{
    public static ImageSummary Of(
        int width, int height, int tiles, ImageMaskSummary found, IReadOnlyList<ClassQuality>? quality, string mask, TimeSpan elapsed) => new()
    {
        Width = width,
        Height = height,
        Tiles = tiles,
        Mask = mask,
        Seconds = elapsed.TotalSeconds,
        Classes = [.. found.Classes.Select(c =>
        {
            var scores = quality?.FirstOrDefault(q => q.ClassIndex == c.ClassIndex);
            return new ClassSummary
            {
                Class = c.ClassIndex,
                ForegroundFraction = c.ForegroundFraction,
                MeanProbability = c.MeanProbability,
                ObjectCount = c.ObjectCount,
                MeanObjectArea = c.MeanArea,
                LargestObjectArea = c.MaxArea,
                ObjectSizes = ObjectSizeBins.Count(c.ObjectAreas),
                IoU = scores?.IoU,
                Dice = scores?.Dice,
            };
        })],
    };

    /// <summary>The summary with what the ground truth held and, for instance labels, how the objects matched them.</summary>
    public static ImageSummary With(this ImageSummary summary, GroundTruthKind? truth, InstanceScores? scores) => summary with
    {
        Labels = truth is null ? null : InstanceQualities.Labels(truth),
        Instances = scores is null ? null : InstanceQualities.From(scores),
    };
}
