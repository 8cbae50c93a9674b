using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tiling;

/// <summary>
/// Covers an image with overlapping tiles for sliding-window inference. Along each axis tiles
/// start at 0, stride, 2·stride, … and the last one is moved back to end exactly at the edge, so every
/// tile lies inside the image and every pixel is covered. An axis shorter than a tile gets one tile at 0
/// as long as the axis, as the seed's network runs an image of any size; only for a model that takes
/// nothing but its tile size is that axis padded up to the tile. An axis under 16 pixels is padded to 16,
/// the least the network's four halvings leave a pixel of.
/// </summary>
public sealed class TileGrid
{
    /// <summary>UNet++ halves the resolution four times, so tile sides must divide by 2⁴.</summary>
    public const int SizeMultiple = 16;

    public const double DefaultOverlap = 0.25;

    private readonly Tile[] tiles;

    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="tileSize">Side of the square tile; a positive multiple of 16.</param>
    /// <param name="overlap">
    /// Fraction of a tile shared with its neighbour, in [0, 1). The stride is
    /// max(1, round(tileSize × (1 − overlap))), rounding halves away from zero.
    /// </param>
    /// <param name="padShortAxes">
    /// Whether an axis shorter than a tile is padded up to the tile, for a model whose input size is fixed.
    /// </param>
    public TileGrid(int height, int width, int tileSize, double overlap = DefaultOverlap, bool padShortAxes = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (tileSize < SizeMultiple || tileSize % SizeMultiple != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tileSize), tileSize, $"The tile size must be a positive multiple of {SizeMultiple}.");
        }

        if (!(overlap >= 0 && overlap < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(overlap), overlap, "The overlap must be in [0, 1).");
        }

        Height = height;
        Width = width;
        TileSize = tileSize;
        Overlap = overlap;
        Stride = StrideFor(tileSize, overlap);

        var rows = Starts(height, tileSize, Stride);
        var columns = Starts(width, tileSize, Stride);
        var validHeight = Math.Min(height, tileSize);
        var validWidth = Math.Min(width, tileSize);
        WindowHeight = padShortAxes ? tileSize : Math.Max(validHeight, SizeMultiple);
        WindowWidth = padShortAxes ? tileSize : Math.Max(validWidth, SizeMultiple);
        tiles = new Tile[rows.Length * columns.Length];
        for (var r = 0; r < rows.Length; r++)
        {
            for (var c = 0; c < columns.Length; c++)
            {
                var index = (r * columns.Length) + c;
                tiles[index] = new Tile(columns[c], rows[r], validWidth, validHeight, index);
            }
        }
    }

    public int Height { get; }
    public int Width { get; }
    public int TileSize { get; }
    public double Overlap { get; }

    /// <summary>Rows of every tile the model is shown: the tile size, or the image's height (at least 16) when it is shorter and not padded.</summary>
    public int WindowHeight { get; }

    /// <summary>Columns of every tile the model is shown: the tile size, or the image's width (at least 16) when it is shorter and not padded.</summary>
    public int WindowWidth { get; }

    /// <summary>Distance between the starts of neighbouring tiles, except the last one on each axis.</summary>
    public int Stride { get; }

    /// <summary>All tiles, row by row from the top, left to right within a row.</summary>
    public IReadOnlyList<Tile> Tiles => tiles;

    /// <summary>max(1, round(tileSize × (1 − overlap))), rounding halves away from zero.</summary>
    public static int StrideFor(int tileSize, double overlap) =>
        Math.Max(1, (int)Math.Round(tileSize * (1 - overlap), MidpointRounding.AwayFromZero));

    /// <summary>Tiles along one axis of <paramref name="size"/> pixels: 1 if it fits in a tile, else ⌈(size − tile) / stride⌉ + 1.</summary>
    public static int TilesAlong(int size, int tileSize, int stride) =>
        size <= tileSize ? 1 : checked((int)(((long)size - tileSize + stride - 1) / stride) + 1);

    /// <summary>
    /// The tiles whose valid part overlaps <paramref name="region"/>, in grid order. A band of a large
    /// image blended from exactly these tiles, in this order, gets the same values as the whole image
    /// blended from all tiles, which is what lets several machines share one image.
    /// </summary>
    public IReadOnlyList<Tile> TilesTouching(PixelRect region)
    {
        if (!PixelRect.Whole(Width, Height).Contains(region) || region.Area == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(region), region, $"The region must be a non-empty part of the {Width}×{Height} image.");
        }

        return [.. tiles.Where(tile => tile.Valid.Intersects(region))];
    }

    /// <summary>
    /// Copies one tile of <paramref name="image"/> into <paramref name="destination"/>, laid out
    /// [channels, WindowHeight, WindowWidth], with zeros outside the tile's valid part. Allocation-free: this
    /// runs once per tile on the inference path.
    /// </summary>
    public void CopyTile(ImageTensor image, Tile tile, Span<float> destination) =>
        CopyTile(image, PixelRect.Whole(Width, Height), tile, destination);

    /// <summary>
    /// As <see cref="CopyTile(ImageTensor, Tile, Span{float})"/> from a tensor that holds only the pixels of
    /// <paramref name="window"/> (in image coordinates), which must contain the tile's valid part.
    /// </summary>
    public void CopyTile(ImageTensor image, PixelRect window, Tile tile, Span<float> destination)
    {
        if (image.Height != window.Height || image.Width != window.Width)
        {
            throw new ArgumentException($"The image is {image.Width}×{image.Height} but its window is {window.Width}×{window.Height}.", nameof(image));
        }

        if (!PixelRect.Whole(Width, Height).Contains(window) || !window.Contains(tile.Valid))
        {
            throw new ArgumentOutOfRangeException(nameof(tile), tile, $"Tile {tile.Valid} is not inside window {window} of the {Width}×{Height} grid.");
        }

        var (h, w) = (WindowHeight, WindowWidth);
        if (destination.Length != image.Channels * h * w)
        {
            throw new ArgumentException($"The destination must hold {image.Channels}×{h}×{w} values.", nameof(destination));
        }

        var source = image.Data.AsSpan();
        for (var c = 0; c < image.Channels; c++)
        {
            var plane = destination.Slice(c * h * w, h * w);
            for (var r = 0; r < tile.Height; r++)
            {
                var row = plane.Slice(r * w, w);
                var offset = (((long)c * window.Height) + tile.Y - window.Y + r) * window.Width + tile.X - window.X;
                source.Slice((int)offset, tile.Width).CopyTo(row);
                row[tile.Width..].Clear();
            }

            plane[(tile.Height * w)..].Clear();
        }
    }

    private static int[] Starts(int size, int tileSize, int stride)
    {
        var starts = new int[TilesAlong(size, tileSize, stride)];
        for (var i = 0; i < starts.Length; i++)
        {
            starts[i] = Math.Min(i * stride, Math.Max(0, size - tileSize));
        }

        return starts;
    }
}
