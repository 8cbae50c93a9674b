namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// An 8-bit RGB raster, interleaved and row-major: the red sample of pixel (x, y) is at
/// (y × Width + x) × 3, followed by green and blue. Used for previews people look at.
/// </summary>
public sealed class Rgb8Image
{
    public Rgb8Image(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNotEqual(pixels.LongLength, (long)width * height * 3, nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }
}
