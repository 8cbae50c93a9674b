using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation.Bands;

namespace UNetPP.Cluster.Grains.Bands;

/// <summary>
/// The band path's shards on a page: a large image found by a worker is cut into band shards there,
/// its stitch shard follows once every band part is stored, and a band that fails for good closes
/// the image's other shards. A large image's shards all stay on its page.
/// </summary>
internal static class PageBands
{
    /// <summary>Adds the image's band shards to the page.</summary>
    /// <returns>Null when the image was cut; otherwise why it cannot be, for its failure.</returns>
    public static string? Cut(JobPageRecord page, string image, ImageSize size, ImageIntensity? intensity)
    {
        IReadOnlyList<Segmentation.Imaging.PixelRect> bands;
        try
        {
            bands = BandPlanner.Split(size.Width, size.Height, size.TileSize, page.Rules!.Overlap, page.Rules.BandHeight);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            return $"its size {size.Width}×{size.Height} cannot be cut into bands ({ex.Message})";
        }

        page.Banded[image] = bands.Count;
        for (var index = 0; index < bands.Count; index++)
        {
            var band = bands[index];
            page.Shards.Add(new ShardRecord
            {
                Id = page.Shards.Count,
                Work = new BandWork(image, index, bands.Count, band.Width, band.Y, band.Height, intensity),
            });
        }

        return null;
    }

    /// <summary>Adds the stitch shard once every band of the image is stored (and none failed).</summary>
    public static void StitchWhenStored(JobPageRecord page, string image)
    {
        var bands = page.Shards.Where(s => s.Work is BandWork band && band.Image == image).ToList();
        if (bands.Any(s => s.State != ShardState.Done)
            || page.Failures.Any(f => f.Name == image)
            || page.Shards.Any(s => s.Work is StitchWork stitch && stitch.Image == image))
        {
            return;
        }

        var firstLeased = page.FirstBandLeased.TryGetValue(image, out var leased) ? leased : (DateTimeOffset?)null;
        page.Shards.Add(new ShardRecord { Id = page.Shards.Count, Work = new StitchWork(image, bands.Count, firstLeased) });
    }

    /// <summary>Closes the image's band and stitch shards other than <paramref name="failed"/>: the image has failed for good.</summary>
    /// <returns>Those of them a worker held, so its job tells the worker to stop.</returns>
    public static IReadOnlyList<int> CloseOthers(JobPageRecord page, ShardRecord failed, string image)
    {
        var closed = new List<int>();
        foreach (var other in page.Shards.Where(s => s != failed && s.State != ShardState.Done && IsOf(s.Work, image)))
        {
            if (other.State == ShardState.Leased)
            {
                closed.Add(other.Id);
            }

            other.Finished.Add(image);
            other.Worker = null;
            other.State = ShardState.Done;
        }

        return closed;
    }

    private static bool IsOf(ShardWork work, string image) => work switch
    {
        BandWork band => band.Image == image,
        StitchWork stitch => stitch.Image == image,
        _ => false,
    };
}
