namespace UNetPP.Cluster.Contracts;

/// <summary>
/// How well the objects found match the objects of instance-label ground truth, in one image or over a
/// job's images. Objects match one to one when their IoU is above 0.5.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.InstanceQuality")]
public sealed record InstanceQuality
{
    /// <summary>2·matched / (truth objects + predicted objects); 1 when there is neither.</summary>
    [Id(0)] public double F1 { get; init; }

    /// <summary>Matched ÷ predicted objects; 1 when nothing was predicted.</summary>
    [Id(1)] public double Precision { get; init; }

    /// <summary>Matched ÷ truth objects; 1 when there was nothing to find.</summary>
    [Id(2)] public double Recall { get; init; }

    /// <summary>The mean IoU of the matched pairs; 0 when none matched.</summary>
    [Id(3)] public double MeanMatchedIoU { get; init; }

    /// <summary>
    /// The Data Science Bowl 2018 score: the mean over IoU thresholds 0.5, 0.55 … 0.95 of TP / (TP + FP + FN);
    /// over a job, the mean of its images' scores, as the competition scored.
    /// </summary>
    [Id(4)] public double Dsb { get; init; }

    /// <summary>Objects in the ground truth.</summary>
    [Id(5)] public int TruthObjects { get; init; }

    /// <summary>Objects found.</summary>
    [Id(6)] public int PredictedObjects { get; init; }

    /// <summary>Pairs matched at IoU above 0.5 (true positives).</summary>
    [Id(7)] public int Matched { get; init; }

    /// <summary>Predicted objects that each cover more than half of two or more truth objects: touching nuclei not separated.</summary>
    [Id(8)] public int Merges { get; init; }

    /// <summary>Truth objects more than half of each of two or more predicted objects lies in: one nucleus cut up.</summary>
    [Id(9)] public int Splits { get; init; }

    /// <summary>Images scored: 1 for an image, the images with instance labels for a job.</summary>
    [Id(10)] public int Images { get; init; }
}

/// <summary>What an image's ground truth held, as its values told.</summary>
[GenerateSerializer, Alias("unetpp.LabelsKind")]
public enum LabelsKind
{
    /// <summary>A multi-class model's labels: each pixel its class index.</summary>
    ClassMasks,

    /// <summary>A one-class model's labels with one foreground value: objects are told apart only where they do not touch.</summary>
    BinaryMasks,

    /// <summary>A one-class model's labels with an id per object (more than one distinct non-zero value): instances can be scored.</summary>
    InstanceLabels,
}
