namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>A rectangle of whole pixels in image coordinates: columns X … X + Width − 1, rows Y … Y + Height − 1.</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;

    public int Bottom => Y + Height;

    public long Area => (long)Width * Height;

    public static PixelRect Whole(int width, int height) => new(0, 0, width, height);

    public bool Contains(PixelRect other) =>
        other.X >= X && other.Y >= Y && other.Right <= Right && other.Bottom <= Bottom;

    public bool Intersects(PixelRect other) =>
        other.X < Right && X < other.Right && other.Y < Bottom && Y < other.Bottom;

    /// <summary>The smallest rectangle holding both.</summary>
    public PixelRect Union(PixelRect other)
    {
        var x = Math.Min(X, other.X);
        var y = Math.Min(Y, other.Y);
        return new PixelRect(x, y, Math.Max(Right, other.Right) - x, Math.Max(Bottom, other.Bottom) - y);
    }

    public override string ToString() => FormattableString.Invariant($"{Width}×{Height} at ({X}, {Y})");
}
