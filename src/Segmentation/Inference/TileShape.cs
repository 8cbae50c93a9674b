namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>The shape of one tile going in ([Channels, Size, Size]) and coming out ([Classes, Size, Size]).</summary>
public readonly record struct TileShape(int Channels, int Classes, int Size)
{
    public int InputLength => Channels * Size * Size;

    public int OutputLength => Classes * Size * Size;
}
