namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>The container formats the decoder accepts.</summary>
public enum ImageFormat
{
    Png,
    Jpeg,
    Tiff,
}

/// <summary>What an image header says, read without decoding pixels.</summary>
/// <param name="Format">Container format, recognised from the file's leading bytes.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Bands">Stored samples per pixel, alpha included.</param>
/// <param name="BitsPerSample">Bits per stored sample as the file declares them (1, 8, 16, 32…).</param>
/// <param name="HasAlpha">Whether one band is alpha (gray + alpha or RGBA), which decoding drops.</param>
public sealed record ImageInfo(ImageFormat Format, int Width, int Height, int Bands, int BitsPerSample, bool HasAlpha)
{
    /// <summary>Bands that carry image content: <see cref="Bands"/> without alpha.</summary>
    public int ColorBands => HasAlpha ? Bands - 1 : Bands;

    public long PixelCount => (long)Width * Height;

    /// <summary>One entry per band: its OME channel name, or null; empty when the decoder did not look.</summary>
    public IReadOnlyList<string?> ChannelNames { get; init; } = [];
}
