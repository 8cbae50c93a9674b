using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Regions;

/// <summary>
/// Cuts a large image into rectangular regions that separate machines segment at once. Cuts fall on
/// the starts of the image's tile grid, so only the tiles straddling a cut are inferred twice; a region
/// computes every tile that touches it, which is why the stitched result equals a one-machine run.
/// </summary>
public static class RegionPlanner
{
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="tileSize">The tile side the image will be segmented with.</param>
    /// <param name="overlap">The tile overlap the image will be segmented with.</param>
    /// <param name="regionSize">Wanted region side in pixels; rounded to whole tile strides, at least one.</param>
    /// <returns>Disjoint regions covering the image, row by row from the top.</returns>
    public static IReadOnlyList<PixelRect> Split(int width, int height, int tileSize, double overlap, int regionSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(regionSize);
        var stride = TileGrid.StrideFor(tileSize, overlap);
        var side = Math.Max(1, (int)Math.Round((double)regionSize / stride, MidpointRounding.AwayFromZero)) * stride;
        var columns = Cuts(width, side);
        var rows = Cuts(height, side);
        return [.. rows.SelectMany(row => columns.Select(column => new PixelRect(column.Start, row.Start, column.Length, row.Length)))];
    }

    private static List<(int Start, int Length)> Cuts(int size, int side)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var cuts = new List<(int, int)>();
        for (var start = 0; start < size; start += side)
        {
            cuts.Add((start, Math.Min(side, size - start)));
        }

        return cuts;
    }
}
