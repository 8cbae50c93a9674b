using System.Collections.Concurrent;

namespace UNetPP.Cluster.Segmentation.Tiling;

/// <summary>
/// Merges per-tile class probabilities into whole-image probabilities, weighting each tile by a Gaussian
/// centred on it (as nnU-Net and MONAI do): predictions near a tile's border, where the network sees
/// little context, count less than predictions near its centre, and seams between tiles disappear.
/// </summary>
/// <remarks>
/// Not thread-safe: one instance accumulates one image, and callers must serialise <see cref="Add"/>
/// calls (tiles may arrive in any order). Memory is K × H × W + H × W floats.
/// </remarks>
public sealed class GaussianBlender
{
    private static readonly ConcurrentDictionary<int, float[]> WeightMaps = new();

    private readonly float[] weightMap;
    private readonly float[] weighted;
    private readonly float[] weightSums;
    private bool finished;

    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="classes">Output channels per pixel (K).</param>
    /// <param name="tileSize">Side of the square tiles whose predictions will be added.</param>
    public GaussianBlender(int height, int width, int classes, int tileSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tileSize);
        if ((long)classes * height * width > Array.MaxLength)
        {
            throw new ArgumentException($"{classes}×{height}×{width} probabilities do not fit in one array.", nameof(classes));
        }

        Height = height;
        Width = width;
        Classes = classes;
        TileSize = tileSize;
        weightMap = WeightMap(tileSize);
        weighted = new float[classes * height * width];
        weightSums = new float[height * width];
    }

    public int Height { get; }
    public int Width { get; }
    public int Classes { get; }
    public int TileSize { get; }

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
    /// Accumulates one tile's probabilities, laid out [K, T, T]; only the tile's valid part is used.
    /// </summary>
    public void Add(Tile tile, ReadOnlySpan<float> tileProbabilities)
    {
        ThrowIfFinished();
        var t = TileSize;
        if (tileProbabilities.Length != Classes * t * t)
        {
            throw new ArgumentException($"Expected {Classes}×{t}×{t} probabilities.", nameof(tileProbabilities));
        }

        if (tile.X < 0 || tile.Y < 0 || tile.Width > t || tile.Height > t
            || tile.X + tile.Width > Width || tile.Y + tile.Height > Height)
        {
            throw new ArgumentOutOfRangeException(nameof(tile), tile, $"The tile does not fit a {Width}×{Height} image.");
        }

        var plane = Height * Width;
        for (var r = 0; r < tile.Height; r++)
        {
            var weights = weightMap.AsSpan(r * t, tile.Width);
            var imageRow = ((tile.Y + r) * Width) + tile.X;
            var sums = weightSums.AsSpan(imageRow, tile.Width);
            for (var x = 0; x < weights.Length; x++)
            {
                sums[x] += weights[x];
            }

            for (var k = 0; k < Classes; k++)
            {
                var probabilities = tileProbabilities.Slice((k * t * t) + (r * t), tile.Width);
                var destination = weighted.AsSpan((k * plane) + imageRow, tile.Width);
                for (var x = 0; x < weights.Length; x++)
                {
                    destination[x] += weights[x] * probabilities[x];
                }
            }
        }
    }

    /// <summary>
    /// Returns the blended probabilities [K, H, W]: Σ w·p / Σ w per pixel. The result reuses the
    /// accumulator, so the blender cannot be used afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">Some pixel was not covered by any added tile.</exception>
    public float[] Finish()
    {
        ThrowIfFinished();
        var uncovered = weightSums.AsSpan().IndexOf(0f);
        if (uncovered >= 0)
        {
            throw new InvalidOperationException($"Pixel ({uncovered % Width}, {uncovered / Width}) was not covered by any tile.");
        }

        finished = true;
        var plane = Height * Width;
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

    private void ThrowIfFinished()
    {
        if (finished)
        {
            throw new InvalidOperationException("The blender has already returned its result.");
        }
    }

    private static float[] WeightMap(int tileSize) => WeightMaps.GetOrAdd(tileSize, static t =>
    {
        var map = new double[t * t];
        var centre = (t - 1) / 2.0;
        var sigma = t / 8.0;
        for (var y = 0; y < t; y++)
        {
            for (var x = 0; x < t; x++)
            {
                var dy = y - centre;
                var dx = x - centre;
                map[(y * t) + x] = Math.Exp(-((dy * dy) + (dx * dx)) / (2 * sigma * sigma));
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
    });
}
