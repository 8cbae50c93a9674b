using System.Globalization;
using System.Runtime.InteropServices;

namespace UNetPP.Cluster.Segmentation.Tests;

/// <summary>
/// What <see cref="NativeHeap"/> asks of glibc, seen in this process's own mappings: a freed block of a
/// mebibyte goes back to the system even after a larger block was freed (which by default raises glibc's
/// threshold above it, so that it comes from an arena and stays mapped). Alone, so that no other test maps
/// memory at the freed address meanwhile.
/// </summary>
[Collection(nameof(NativeHeapTests))]
[CollectionDefinition(nameof(NativeHeapTests), DisableParallelization = true)]
public sealed class NativeHeapTests
{
    [Fact]
    public void AFreedBlockOfAMebibyteGoesBackToTheSystemEvenAfterALargerOne()
    {
        Assert.True(NativeHeap.KeepFreedBlocksReturnable(), "glibc took the settings");
        Marshal.FreeHGlobal(Marshal.AllocHGlobal(8 << 20));

        var block = Marshal.AllocHGlobal(1 << 20);
        Assert.True(Mapped(block));
        Marshal.FreeHGlobal(block);

        Assert.False(Mapped(block), "the freed block's memory is still mapped");
    }

    private static bool Mapped(IntPtr address)
    {
        var at = (ulong)address.ToInt64();
        return File.ReadLines("/proc/self/maps")
            .Select(line => line[..line.IndexOf(' ', StringComparison.Ordinal)].Split('-'))
            .Any(range => ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture) <= at
                && at < ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }
}
