using NetVips;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>Process-wide libvips settings every codec user in this assembly relies on.</summary>
internal static class VipsSettings
{
    private static int applied;

    /// <summary>
    /// Turns off libvips' operation cache: each image is decoded or encoded exactly once, so the cache
    /// would only keep whole decoded rasters alive after the caller has finished with them.
    /// </summary>
    internal static void Apply()
    {
        if (Interlocked.Exchange(ref applied, 1) == 0)
        {
            Cache.Max = 0;
        }
    }
}
