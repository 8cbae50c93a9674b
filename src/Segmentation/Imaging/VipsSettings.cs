using NetVips;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>Process-wide libvips settings every codec user in this assembly relies on.</summary>
internal static class VipsSettings
{
    private static int applied;

    // Held for the life of the process: libvips calls it from native code.
    private static readonly Log.LogDelegate DropWarning = (_, _, _) => { };

    /// <summary>
    /// Turns off libvips' operation cache: each image is decoded or encoded exactly once, so the cache
    /// would only keep whole decoded rasters alive after the caller has finished with them. And keeps
    /// libvips' warnings off the process's stderr: a damaged file prints one per bad tile, while its
    /// error reaches the user once, naming the file, through <see cref="ImageRejectedException"/>.
    /// </summary>
    internal static void Apply()
    {
        if (Interlocked.Exchange(ref applied, 1) == 0)
        {
            Cache.Max = 0;
            Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning, DropWarning);
        }
    }
}
