using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tiling;

/// <summary>
/// One window of a <see cref="TileGrid"/>, WindowWidth × WindowHeight; its valid part, the part inside
/// the image, starts at (<see cref="X"/>, <see cref="Y"/>) and is <see cref="Width"/> × <see cref="Height"/>.
/// The valid part is smaller than the window only when the grid pads an axis shorter than a tile, and
/// the rest of the window is padding.
/// </summary>
/// <param name="X">Left column in the image.</param>
/// <param name="Y">Top row in the image.</param>
/// <param name="Width">Valid columns.</param>
/// <param name="Height">Valid rows.</param>
/// <param name="Index">Position in <see cref="TileGrid.Tiles"/> (row-major).</param>
public readonly record struct Tile(int X, int Y, int Width, int Height, int Index)
{
    /// <summary>The tile's valid part in image coordinates.</summary>
    public PixelRect Valid => new(X, Y, Width, Height);
}
