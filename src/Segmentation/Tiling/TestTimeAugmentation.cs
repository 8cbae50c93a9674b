namespace UNetPP.Cluster.Segmentation.Tiling;

/// <summary>
/// Test-time augmentation by mirroring, as nnU-Net does by default: a tile is also run flipped
/// horizontally, vertically and both ways, each prediction is flipped back, and the four are averaged.
/// A tile travels as a block of <see cref="Views"/> tiles laid out one after another, view 0 the
/// tile as cut from the grid.
/// </summary>
/// <remarks>
/// The whole tile is flipped as the model sees it, padding included, so the padding of an image smaller
/// than a tile (for a model that takes only its tile size) moves before the content instead of after it. That is still the mirrored image padded with
/// the same zeros, a fair prediction of the mirrored content, and flipping the whole output back returns
/// the valid part to where the grid expects it. nnU-Net does the same: it pads the image to the patch
/// size, then mirrors the patch. Flipping only the valid part would need each tile's own extent here and
/// change nothing the network is shown but where the zeros sit.
/// </remarks>
public sealed class TestTimeAugmentation
{
    /// <summary>One view, the tile itself: no augmentation.</summary>
    public static readonly TestTimeAugmentation None = new([Flip.None]);

    /// <summary>The tile, then flipped horizontally, vertically and both: the fixed order the mean is summed in.</summary>
    public static readonly TestTimeAugmentation Mirrored = new([Flip.None, Flip.Horizontal, Flip.Vertical, Flip.Horizontal | Flip.Vertical]);

    private readonly Flip[] flips;

    private TestTimeAugmentation(Flip[] flips) => this.flips = flips;

    [Flags]
    private enum Flip
    {
        None = 0,
        Horizontal = 1,
        Vertical = 2,
    }

    /// <summary>Tiles the model runs for each grid tile.</summary>
    public int Views => flips.Length;

    /// <summary>
    /// Fills views 1 … <see cref="Views"/> − 1 of one tile's input block ([Views, C, H, W]) with view 0
    /// flipped each view's way.
    /// </summary>
    public void Expand(Span<float> block, int height, int width)
    {
        var length = ViewLength(block, height, width);
        var tile = block[..length];
        for (var v = 1; v < flips.Length; v++)
        {
            Mirror(tile, block.Slice(v * length, length), height, width, flips[v], accumulate: false);
        }
    }

    /// <summary>
    /// Averages one tile's output block ([Views, K, H, W]) into view 0, flipping each view back first, and
    /// returns view 0. Views are added in their fixed order, so the result is the same bytes every run.
    /// </summary>
    public Span<float> Merge(Span<float> block, int height, int width)
    {
        var length = ViewLength(block, height, width);
        var mean = block[..length];
        if (flips.Length == 1)
        {
            return mean;
        }

        for (var v = 1; v < flips.Length; v++)
        {
            Mirror(block.Slice(v * length, length), mean, height, width, flips[v], accumulate: true);
        }

        var scale = 1f / flips.Length;
        for (var i = 0; i < mean.Length; i++)
        {
            mean[i] *= scale;
        }

        return mean;
    }

    private int ViewLength(Span<float> block, int height, int width)
    {
        var plane = height * width;
        if (block.Length % (flips.Length * plane) != 0)
        {
            throw new ArgumentException($"A block of {block.Length} values is not {flips.Length} views of {width}×{height} planes.", nameof(block));
        }

        return block.Length / flips.Length;
    }

    /// <summary>Writes (or adds) <paramref name="source"/> flipped into <paramref name="destination"/>, plane by plane; a flip undoes itself.</summary>
    private static void Mirror(ReadOnlySpan<float> source, Span<float> destination, int height, int width, Flip flip, bool accumulate)
    {
        var horizontal = flip.HasFlag(Flip.Horizontal);
        for (var plane = 0; plane < source.Length; plane += height * width)
        {
            for (var y = 0; y < height; y++)
            {
                var from = source.Slice(plane + ((flip.HasFlag(Flip.Vertical) ? height - 1 - y : y) * width), width);
                var to = destination.Slice(plane + (y * width), width);
                for (var x = 0; x < width; x++)
                {
                    var value = from[horizontal ? width - 1 - x : x];
                    to[x] = accumulate ? to[x] + value : value;
                }
            }
        }
    }
}
