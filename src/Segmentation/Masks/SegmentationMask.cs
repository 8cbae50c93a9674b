namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>
/// A per-pixel segmentation result, row-major: pixel (x, y) is at y × Width + x. For a one-output model
/// (<see cref="Classes"/> = 1) a pixel holds 255 where it is foreground and 0 elsewhere, so the mask is
/// directly viewable; for K &gt; 1 outputs it holds the class index 0 … K − 1, 0 being background.
/// </summary>
public sealed class SegmentationMask
{
    /// <summary>The value of a foreground pixel in a one-output mask.</summary>
    public const byte BinaryForeground = 255;

    public SegmentationMask(int width, int height, int classes, byte[] labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);
        ArgumentOutOfRangeException.ThrowIfNotEqual(labels.LongLength, (long)width * height, nameof(labels));
        Width = width;
        Height = height;
        Classes = classes;
        Labels = labels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The model's output channels (K).</summary>
    public int Classes { get; }

    /// <summary>0/255 for K = 1, class indices for K &gt; 1.</summary>
    public byte[] Labels { get; }

    /// <summary>Foreground classes the mask can hold: 1 for a one-output model, else K − 1 (all but background).</summary>
    public int ForegroundClasses => Classes == 1 ? 1 : Classes - 1;

    /// <summary>The class of a stored label: 0 for background, else 1 … <see cref="ForegroundClasses"/>.</summary>
    public int ClassOf(byte label) => Classes == 1 ? (label == 0 ? 0 : 1) : label;
}
