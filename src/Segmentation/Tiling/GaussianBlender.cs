using System.Collections.Concurrent;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tiling;

/// <summary>
/// Merges per-tile class probabilities into whole-image probabilities, weighting each tile by a Gaussian
/// centred on it (as nnU-Net and MONAI do): predictions near a tile's border, where the network sees
/// little context, count less than predictions near its centre, and seams between tiles disappear.
/// </summary>
/// <remarks>
/// Not thread-safe: one instance accumulates one image, and callers must serialise <see cref="Add"/>
/// calls (tiles may arrive in any order). Memory is (K + 1) floats per pixel of the blended area.
/// </remarks>
public sealed class GaussianBlender
{
    private static readonly ConcurrentDictionary<int, float[]> WeightMaps = new();

    private readonly float[] weightMap;
    private readonly float[] weighted;
    private readonly float[] weightSums;
    private bool finished;

    /// <param name="grid">The grid whose tiles' predictions will be added.</param>
    /// <param name="classes">Output channels per pixel (K).</param>
    public GaussianBlender(TileGrid grid, int classes)
        : this(grid, classes, PixelRect.Whole(grid.Width, grid.Height))
    {
    }

    /// <summary>
    /// A blender that keeps only <paramref name="area"/> of the image: tiles reaching outside it add
    /// their part inside it. Every pixel of the area gets the same sums, in the same order, as it would
    /// in a whole-image blender fed the same tiles, so areas blended apart match the whole exactly.
    /// </summary>
    /// <param name="grid">The grid whose tiles' predictions will be added.</param>
    /// <param name="classes">Output channels per pixel (K).</param>
    /// <param name="area">The part of the image to blend; memory is proportional to it.</param>
    /// <param name="buffers">Where the blender's arrays come from and go back to (<see cref="GiveBack"/>); new arrays when null.</param>
    public GaussianBlender(TileGrid grid, int classes, PixelRect area, StripBuffers? buffers = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        var (height, width) = (grid.Height, grid.Width);
        if (area.Area == 0 || !PixelRect.Whole(width, height).Contains(area))
        {
            throw new ArgumentOutOfRangeException(nameof(area), area, $"The area must be a non-empty part of the {width}×{height} image.");
        }

        if (classes * area.Area > Array.MaxLength)
        {
            throw new ArgumentException($"{classes}×{area.Height}×{area.Width} probabilities do not fit in one array.", nameof(classes));
        }

        Height = height;
        Width = width;
        Classes = classes;
        TileSize = grid.TileSize;
        WindowHeight = grid.WindowHeight;
        WindowWidth = grid.WindowWidth;
        Area = area;
        weightMap = WindowHeight == TileSize && WindowWidth == TileSize
            ? WeightMap(TileSize)
            : Gaussian(WindowHeight, WindowWidth, TileSize);
        // Both lengths fit an array: checked above.
        weighted = buffers?.Take((int)(classes * area.Area)) ?? new float[classes * area.Area];
        weightSums = buffers?.Take((int)area.Area) ?? new float[area.Area];
    }

    public int Height { get; }
    public int Width { get; }
    public int Classes { get; }
    public int TileSize { get; }

    /// <summary>Rows of each tile's predictions.</summary>
    public int WindowHeight { get; }

    /// <summary>Columns of each tile's predictions.</summary>
    public int WindowWidth { get; }

    /// <summary>The part of the image this blender keeps; the whole image unless one was given.</summary>
    public PixelRect Area { get; }

    /// <summary>
    /// The importance map for a tile side, row-major T × T and shared between blenders:
    /// w(y, x) = exp(−((y − c)² + (x − c)²) / (2σ²)) with c = (T − 1) / 2 and σ = T / 8, scaled so its
    /// maximum is 1. Zeros (only possible for very large tiles, where the corners underflow) are raised to
    /// the smallest non-zero weight, as nnU-Net does, so every pixel of a tile carries some weight.
    /// </summary>
    public static ReadOnlySpan<float> WeightMapFor(int tileSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tileSize);
        return WeightMap(tileSize);
    }

    /// <summary>
    /// Accumulates one tile's probabilities, laid out [K, WindowHeight, WindowWidth]; only the tile's valid part is used.
    /// </summary>
    public void Add(Tile tile, ReadOnlySpan<float> tileProbabilities)
    {
        ThrowIfFinished();
        var (h, t) = (WindowHeight, WindowWidth);
        if (tileProbabilities.Length != Classes * h * t)
        {
            throw new ArgumentException($"Expected {Classes}×{h}×{t} probabilities.", nameof(tileProbabilities));
        }

        if (tile.X < 0 || tile.Y < 0 || tile.Width > t || tile.Height > h
            || tile.X + tile.Width > Width || tile.Y + tile.Height > Height)
        {
            throw new ArgumentOutOfRangeException(nameof(tile), tile, $"The tile does not fit a {Width}×{Height} image.");
        }

        // The tile's rows and columns that fall inside the area; a tile that misses it adds nothing.
        var top = Math.Max(tile.Y, Area.Y);
        var bottom = Math.Min(tile.Y + tile.Height, Area.Bottom);
        var left = Math.Max(tile.X, Area.X);
        var right = Math.Min(tile.X + tile.Width, Area.Right);
        var columns = right - left;
        if (columns <= 0 || bottom <= top)
        {
            return;
        }

        var plane = Area.Height * Area.Width;
        for (var y = top; y < bottom; y++)
        {
            var r = y - tile.Y;
            var tileOffset = (r * t) + left - tile.X;
            var weights = weightMap.AsSpan(tileOffset, columns);
            var areaRow = ((y - Area.Y) * Area.Width) + left - Area.X;
            var sums = weightSums.AsSpan(areaRow, weights.Length);
            for (var x = 0; x < weights.Length; x++)
            {
                sums[x] += weights[x];
            }

            for (var k = 0; k < Classes; k++)
            {
                var probabilities = tileProbabilities.Slice((k * h * t) + tileOffset, weights.Length);
                var destination = weighted.AsSpan((k * plane) + areaRow, weights.Length);
                for (var x = 0; x < weights.Length; x++)
                {
                    destination[x] += weights[x] * probabilities[x];
                }
            }
        }
    }

    /// <summary>
    /// Returns the blended probabilities [K, H, W] of the area: Σ w·p / Σ w per pixel. The result reuses the
    /// accumulator, so the blender cannot be used afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">Some pixel was not covered by any added tile.</exception>
    public float[] Finish()
    {
        ThrowIfFinished();
        var uncovered = weightSums.AsSpan().IndexOf(0f);
        if (uncovered >= 0)
        {
            throw new InvalidOperationException($"Pixel ({Area.X + (uncovered % Area.Width)}, {Area.Y + (uncovered / Area.Width)}) was not covered by any tile.");
        }

        finished = true;
        var plane = Area.Height * Area.Width;
        for (var k = 0; k < Classes; k++)
        {
            var channel = weighted.AsSpan(k * plane, plane);
            for (var i = 0; i < plane; i++)
            {
                channel[i] /= weightSums[i];
            }
        }

        return weighted;
    }

    /// <summary>
    /// Hands this finished blender's arrays to <paramref name="buffers"/> for the next strip: the
    /// probabilities <see cref="Finish"/> returned are not to be read after this.
    /// </summary>
    public void GiveBack(StripBuffers buffers)
    {
        if (!finished)
        {
            throw new InvalidOperationException("A blender gives its arrays back once it is finished.");
        }

        buffers.Give(weighted);
        buffers.Give(weightSums);
    }

    private void ThrowIfFinished()
    {
        if (finished)
        {
            throw new InvalidOperationException("The blender has already returned its result.");
        }
    }

    private static float[] WeightMap(int tileSize) => WeightMaps.GetOrAdd(tileSize, static t => Gaussian(t, t, t));

    /// <summary>
    /// The map for a window of <paramref name="height"/> × <paramref name="width"/> cut to an image shorter
    /// than a tile, with the tile's σ: along a short axis there is one tile, so its weights cancel out of
    /// Σ w·p / Σ w and only the long axis's blending is left. Not cached: such windows take every size.
    /// </summary>
    private static float[] Gaussian(int height, int width, int tileSize)
    {
        var map = new double[height * width];
        var centreY = (height - 1) / 2.0;
        var centreX = (width - 1) / 2.0;
        var sigma = tileSize / 8.0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var dy = y - centreY;
                var dx = x - centreX;
                map[(y * width) + x] = Math.Exp(-((dy * dy) + (dx * dx)) / (2 * sigma * sigma));
            }
        }

        var max = map.Max();
        var weights = map.Select(w => (float)(w / max)).ToArray();
        var smallest = weights.Where(w => w > 0f).Min();
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = Math.Max(weights[i], smallest);
        }

        return weights;
    }
}
