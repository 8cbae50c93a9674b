using System.Runtime.InteropServices;

namespace UNetPP.Cluster.Segmentation;

/// <summary>
/// How glibc's malloc serves the native libraries of a process that segments for hours (ONNX Runtime,
/// libvips, zlib, the runtime's own): a block of 128 KiB or more in a mapping of its own, given back to the
/// system when it is freed, and two arenas rather than eight per core.
/// </summary>
/// <remarks>
/// By default glibc raises that threshold each time such a block is freed, up to 32 MiB; from then on blocks
/// of that size come from its arenas, where memory freed between live blocks stays resident, one arena per
/// thread that allocated at once. A silo's memory outside the managed heap grew 3-16 MiB from 30 % of a
/// 10,000-image job to its end that way, and −1 to +9 MiB with these settings (<c>docs/performance.md</c>). The
/// settings are glibc's own (<c>mallopt(3)</c>): no library sets them for a process.
/// </remarks>
public static partial class NativeHeap
{
    /// <summary>The size from which a block gets a mapping of its own: glibc's default start, kept fixed.</summary>
    private const int MappedFrom = 128 * 1024;

    private const int ArenaMaxOption = -8; // M_ARENA_MAX
    private const int MmapThresholdOption = -3; // M_MMAP_THRESHOLD
    private const int Arenas = 2;

    private static readonly Lazy<bool> Applied = new(Apply);

    /// <summary>Applies the settings, once for the process; false where the C library is not glibc (nothing to set) or refused them.</summary>
    public static bool KeepFreedBlocksReturnable() => Applied.Value;

    private static bool Apply()
    {
        try
        {
            return MallOpt(MmapThresholdOption, MappedFrom) == 1 && MallOpt(ArenaMaxOption, Arenas) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            // musl and other C libraries have no mallopt, nor glibc's growing threshold and arenas.
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int option, int value);
}
