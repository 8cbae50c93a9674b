namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>Limits applied by <see cref="ImageDecoder"/> before any pixel is decoded.</summary>
public sealed record ImageDecoderOptions
{
    /// <summary>
    /// Largest width × height accepted. Checked against the header alone, so a small file that
    /// declares an enormous raster (a decompression bomb) is refused without being inflated.
    /// </summary>
    public long MaxPixels { get; init; } = 1_000_000_000;

    /// <summary>
    /// Longest a whole image may take to decode before it is refused. Crafted files can be cheap to
    /// store and dear to decode (a progressive JPEG of thousands of scans, say); this bounds what one
    /// file can cost a worker. Rows streamed from a large image are not bound by it.
    /// </summary>
    public TimeSpan DecodeTimeout { get; init; } = TimeSpan.FromMinutes(1);
}
