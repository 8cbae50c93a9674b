namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>Limits applied by <see cref="ImageDecoder"/> before any pixel is decoded.</summary>
public sealed record ImageDecoderOptions
{
    /// <summary>
    /// Largest width × height accepted. Checked against the header alone, so a small file that
    /// declares an enormous raster (a decompression bomb) is refused without being inflated.
    /// </summary>
    public long MaxPixels { get; init; } = 1_000_000_000;
}
