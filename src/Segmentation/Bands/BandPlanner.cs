using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Bands;

/// <summary>
/// Cuts a large image into bands of whole rows that separate machines segment at once. A band is
/// decoded, inferred and stored top to bottom with the memory of a few tile rows, and the bands are
/// stitched in order as one stream, so neither side ever holds the image. Cuts fall on the starts of
/// the image's tile rows, so only the one tile row straddling each cut is inferred twice; a band
/// computes every tile that touches it, which is why the stitched result equals a one-machine run.
/// </summary>
public static class BandPlanner
{
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="tileSize">The tile side the image will be segmented with.</param>
    /// <param name="overlap">The tile overlap the image will be segmented with.</param>
    /// <param name="bandHeight">Wanted band height in rows; rounded to whole tile strides, at least one.</param>
    /// <returns>Full-width bands covering the image, from the top.</returns>
    public static IReadOnlyList<PixelRect> Split(int width, int height, int tileSize, double overlap, int bandHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bandHeight);
        var stride = TileGrid.StrideFor(tileSize, overlap);
        var side = Math.Max(1, (int)Math.Round((double)bandHeight / stride, MidpointRounding.AwayFromZero)) * stride;
        var bands = new List<PixelRect>();
        for (var top = 0; top < height; top += side)
        {
            bands.Add(new PixelRect(0, top, width, Math.Min(side, height - top)));
        }

        return bands;
    }
}
