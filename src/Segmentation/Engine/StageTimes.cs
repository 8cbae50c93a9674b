namespace UNetPP.Cluster.Segmentation.Engine;

/// <summary>Where one image's time went, stage by stage.</summary>
/// <param name="Decode">Bytes to a normalised tensor.</param>
/// <param name="Infer">Tiles through the device, queue wait included.</param>
/// <param name="Blend">Tile results into one probability map.</param>
/// <param name="PostProcess">Mask, statistics and quality.</param>
/// <param name="Encode">Mask and previews to PNG bytes.</param>
public sealed record StageTimes(TimeSpan Decode, TimeSpan Infer, TimeSpan Blend, TimeSpan PostProcess, TimeSpan Encode)
{
    public static StageTimes Zero { get; } = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    public TimeSpan Total => Decode + Infer + Blend + PostProcess + Encode;

    public StageTimes Add(StageTimes other) => new(
        Decode + other.Decode, Infer + other.Infer, Blend + other.Blend, PostProcess + other.PostProcess, Encode + other.Encode);
}
