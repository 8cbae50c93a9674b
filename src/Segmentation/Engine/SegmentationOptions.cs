using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Segmentation.Engine;

/// <summary>How images are segmented: which head, how they are tiled and batched, on which device.</summary>
public sealed record SegmentationOptions
{
    /// <summary>Beyond a few, batches in flight only queue inside ONNX Runtime and hold pinned memory.</summary>
    public const int MaxInFlightBatches = 8;

    /// <summary>L4, the seed's own choice at inference with deep supervision (its last head).</summary>
    public InferenceMode Mode { get; init; } = InferenceMode.L4;

    /// <summary>Tile edge in pixels, a multiple of 16; null takes the model card's hint.</summary>
    public int? TileSize { get; init; }

    /// <summary>Fraction of a tile shared with its neighbour, blended away with Gaussian weights.</summary>
    public double Overlap { get; init; } = 0.25;

    public int BatchSize { get; init; } = 4;

    /// <summary>Batches that run on the device at once (see <see cref="BatcherOptions.InFlightBatches"/>).</summary>
    public int InFlightBatches { get; init; } = 1;

    public DeviceSessionOptions Device { get; init; } = new();

    /// <summary>Images larger than this many pixels are refused before their pixels are decoded.</summary>
    public long MaxPixels { get; init; } = 1_000_000_000;

    /// <summary>Also produce the 16-bit probability map.</summary>
    public bool Probabilities { get; init; }

    /// <summary>Also produce the overlay preview (the image with mask outlines) for people to look at.</summary>
    public bool Overlays { get; init; }

    /// <summary>
    /// Test-time augmentation: average each tile's prediction with those of its horizontal, vertical and
    /// double flips, as nnU-Net does by default. Smoother, more symmetric masks for four times the inference.
    /// </summary>
    public bool Tta { get; init; }

    /// <summary>How intensities become model input for this job, in place of the card's method; null keeps the card's.</summary>
    public NormalizationChoice? Normalize { get; init; }

    /// <summary>The image's channels the model is given, in order (<c>--channels</c>); null takes them as the image has them.</summary>
    public ChannelChoice? Channels { get; init; }

    /// <summary>How masks and probability maps are stored: PNG, TIFF or pyramidal OME-TIFF.</summary>
    public MaskFormat MaskFormat { get; init; } = MaskFormat.Png;

    /// <summary>What is made of each image's objects (<c>--instances</c>, <c>--objects</c>, <c>--geojson</c>); null for nothing.</summary>
    public ObjectOutputs? Objects { get; init; }

    public void Validate()
    {
        if (TileSize is { } tile && (tile < 16 || tile % 16 != 0))
        {
            throw new ArgumentException($"--tile {tile}: the tile size must be a multiple of 16 and at least 16.", nameof(TileSize));
        }

        if (Overlap is < 0 or >= 1 || double.IsNaN(Overlap))
        {
            throw new ArgumentException($"--overlap {Overlap}: the overlap is a fraction of a tile, at least 0 and less than 1.", nameof(Overlap));
        }

        if (BatchSize < 1)
        {
            throw new ArgumentException($"--batch {BatchSize}: the batch size must be at least 1.", nameof(BatchSize));
        }

        if (InFlightBatches is < 1 or > MaxInFlightBatches)
        {
            throw new ArgumentException(
                $"Inference:InFlightBatches {InFlightBatches}: between 1 and {MaxInFlightBatches} batches may run on a device at once.", nameof(InFlightBatches));
        }

        if (MaxPixels < 1)
        {
            throw new ArgumentException($"max pixels {MaxPixels}: the pixel limit must be positive.", nameof(MaxPixels));
        }
    }
}
