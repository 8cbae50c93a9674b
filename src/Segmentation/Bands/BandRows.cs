using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Bands;

/// <summary>One row of a tile grid: its index among the grid's rows, its top and its tiles.</summary>
public sealed record TileRow(int Index, int Top, IReadOnlyList<Tile> Tiles);

/// <summary>
/// The strip of image rows that is final once tile row <paramref name="Index"/> is blended: from that
/// row's top to the next row's, cut to the band. No later tile row reaches it.
/// </summary>
public sealed record BlendStrip(int Index, PixelRect Area);

/// <summary>
/// A band of whole image rows seen as the tile grid works through it from the top: the tile rows that
/// touch it, and for each the strips of rows it adds to. Strip i is blended from exactly the tiles
/// the whole image's blend gives its pixels, in the same order, and is final after tile row i.
/// </summary>
public sealed class BandRows
{
    private readonly int[] _tops;
    private readonly PixelRect _band;
    private readonly int _validHeight;

    public BandRows(TileGrid grid, PixelRect band)
    {
        if (band.X != 0 || band.Width != grid.Width || band.Area == 0 || !PixelRect.Whole(grid.Width, grid.Height).Contains(band))
        {
            throw new ArgumentOutOfRangeException(nameof(band), band, $"A band is whole rows of the {grid.Width}×{grid.Height} grid.");
        }

        _band = band;
        _tops = [.. grid.Tiles.Select(t => t.Y).Distinct()];
        _validHeight = Math.Min(grid.TileSize, grid.Height);
        var touching = grid.TilesTouching(band);
        TileRows = [.. touching.GroupBy(t => t.Y).Select(g => new TileRow(Array.IndexOf(_tops, g.Key), g.Key, [.. g]))];
        Tiles = touching.Count;
        WindowHeight = _validHeight;
    }

    /// <summary>The tile rows that touch the band, from the top.</summary>
    public IReadOnlyList<TileRow> TileRows { get; }

    /// <summary>Tiles inferred for the band.</summary>
    public int Tiles { get; }

    /// <summary>Image rows one tile row needs: the tile side, or the image's height when it is shorter.</summary>
    public int WindowHeight { get; }

    /// <summary>The band's strips that <paramref name="row"/>'s tiles add to, from the top.</summary>
    public IEnumerable<BlendStrip> StripsTouching(TileRow row)
    {
        for (var i = row.Index; i < _tops.Length && _tops[i] < row.Top + _validHeight; i++)
        {
            var top = Math.Max(_tops[i], _band.Y);
            var bottom = Math.Min(i + 1 < _tops.Length ? _tops[i + 1] : _band.Bottom, _band.Bottom);
            if (bottom > top)
            {
                yield return new BlendStrip(i, new PixelRect(0, top, _band.Width, bottom - top));
            }
        }
    }
}
