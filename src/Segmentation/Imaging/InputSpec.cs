namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// How decoded pixels become model input: values are first scaled to [0, 1] by the sample type's
/// maximum (255 for 8-bit, 65535 for 16-bit), then each channel is normalised as (x - mean) / std.
/// </summary>
public sealed record InputNormalization(float[] Mean, float[] Std)
{
    /// <summary>The seed's albumentations <c>Normalize()</c> defaults (ImageNet statistics).</summary>
    public static InputNormalization ImageNet { get; } =
        new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
}

/// <summary>What the model expects of an image: its channel count and normalisation.</summary>
/// <param name="Channels">Channels the model takes (1 gray, 3 RGB, …).</param>
/// <param name="AllowColorToGray">Whether a colour image may be reduced to gray for a one-channel model.</param>
/// <param name="Normalization">Per-channel normalisation; its arrays have <paramref name="Channels"/> entries.</param>
public sealed record InputSpec(int Channels, bool AllowColorToGray, InputNormalization Normalization);

/// <summary>
/// A decoded, normalised image in planar layout: channel-major, then rows, then columns. Produced by
/// <see cref="ImageDecoder.Decode"/>; <see cref="Tiling.TileGrid.CopyTile"/> cuts model-sized tiles from it.
/// </summary>
public sealed class ImageTensor(int channels, int height, int width, float[] data)
{
    public int Channels { get; } = channels;
    public int Height { get; } = height;
    public int Width { get; } = width;

    /// <summary>Length Channels × Height × Width; element (c, y, x) is at (c × Height + y) × Width + x.</summary>
    public float[] Data { get; } = data;
}
