namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>The shape of one tile going in ([Channels, Height, Width]) and coming out ([Classes, Height, Width]).</summary>
public readonly record struct TileShape(int Channels, int Classes, int Height, int Width)
{
    /// <summary>A square tile of side <paramref name="size"/>.</summary>
    public TileShape(int channels, int classes, int size)
        : this(channels, classes, size, size)
    {
    }

    public int InputLength => Channels * Height * Width;

    public int OutputLength => Classes * Height * Width;
}
