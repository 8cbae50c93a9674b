using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Engine;

/// <summary>
/// One image's result: what was found, how good it is against ground truth (when given), and the
/// encoded files, as bytes, so the caller decides where they are stored. The mask and probability map
/// are in the engine's <see cref="SegmentationOptions.MaskFormat"/> (PNG unless asked otherwise); the overlay is always PNG.
/// </summary>
/// <param name="Tiles">
/// Tiles of the image's grid. A tile counts once with test-time augmentation too, though the model then
/// runs it four times: the batcher's statistics count those runs.
/// </param>
public sealed record SegmentedImage(
    string Name,
    int Width,
    int Height,
    int Tiles,
    ImageMaskSummary Summary,
    IReadOnlyList<ClassQuality>? Quality,
    byte[] MaskFile,
    byte[]? ProbabilityFile,
    byte[]? OverlayPng,
    StageTimes Times)
{
    /// <summary>Something the user should know about the input (too faint for the normalisation, say); null when nothing.</summary>
    public string? Warning { get; init; }

    /// <summary>The image's objects and their files, when the job asks for objects; the summary then counts them.</summary>
    public ObjectFiles? Objects { get; init; }

    /// <summary>What the ground truth holds (instance labels, a binary mask, class masks); null without one.</summary>
    public GroundTruthKind? TruthKind { get; init; }
}

/// <summary>Ground truth for an image: the mask's name (for messages) and its encoded bytes.</summary>
public sealed record GroundTruth(string Name, byte[] Bytes);
