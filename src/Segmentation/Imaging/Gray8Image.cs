namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>A single-channel 8-bit raster, row-major: pixel (x, y) is at y × Width + x.</summary>
public sealed class Gray8Image
{
    public Gray8Image(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNotEqual(pixels.LongLength, (long)width * height, nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }
}
