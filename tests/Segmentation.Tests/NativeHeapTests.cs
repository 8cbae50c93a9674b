namespace UNetPP.Cluster.Segmentation.Tests;

/// <summary>
/// glibc takes <see cref="NativeHeap"/>'s settings on this machine. What they do is measured where it shows,
/// in a silo's memory through a long job (<c>LoadTests</c>): in a test process that has already run other
/// tests, a block freed into an arena before the settings took effect can serve any later request, so
/// whether a given block is mapped on its own says nothing here.
/// </summary>
public sealed class NativeHeapTests
{
    [Fact]
    public void GlibcTakesTheSettings() =>
        Assert.True(NativeHeap.KeepFreedBlocksReturnable(), "glibc refused the mmap threshold or the arena count");
}
