using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Tests.Tiling;

public sealed class TestTimeAugmentationTests
{
    private const int Size = 3;
    private const int Planes = 2;
    private const int View = Planes * Size * Size;

    [Fact]
    public void ExpandWritesTheTileFlippedHorizontallyVerticallyAndBoth()
    {
        var block = Expanded(TestTimeAugmentation.Mirrored);

        Assert.Equal(4 * View, block.Length);
        for (var p = 0; p < Planes; p++)
        {
            for (var y = 0; y < Size; y++)
            {
                for (var x = 0; x < Size; x++)
                {
                    var flippedY = Size - 1 - y;
                    var flippedX = Size - 1 - x;
                    Assert.Equal(At(block, 0, p, y, flippedX), At(block, 1, p, y, x));
                    Assert.Equal(At(block, 0, p, flippedY, x), At(block, 2, p, y, x));
                    Assert.Equal(At(block, 0, p, flippedY, flippedX), At(block, 3, p, y, x));
                }
            }
        }
    }

    [Fact]
    public void MergeFlipsEachViewBackBeforeAveraging()
    {
        // A model that answers each pixel with its own value plus a per-view offset: flipped back, every view
        // holds the tile itself plus its offset, so the mean is the tile plus the mean offset.
        var augmentation = TestTimeAugmentation.Mirrored;
        var block = Expanded(augmentation);
        for (var v = 0; v < augmentation.Views; v++)
        {
            for (var i = 0; i < View; i++)
            {
                block[(v * View) + i] += 10 * v;
            }
        }

        var mean = augmentation.Merge(block, Size, Size).ToArray();

        Assert.Equal(Enumerable.Range(0, View).Select(i => i + 15f), mean);
    }

    [Fact]
    public void WithoutAugmentationTheTileIsItsOwnResult()
    {
        var augmentation = TestTimeAugmentation.None;
        var block = Expanded(augmentation);

        var result = augmentation.Merge(block, Size, Size);

        Assert.Equal(1, augmentation.Views);
        Assert.Equal(Enumerable.Range(0, View).Select(i => (float)i), result.ToArray());
    }

    [Fact]
    public void ABlockThatIsNotWholeViewsIsRefused()
    {
        Assert.Throws<ArgumentException>(() => TestTimeAugmentation.Mirrored.Expand(new float[(4 * View) - 1], Size, Size));
        Assert.Throws<ArgumentException>(() => TestTimeAugmentation.Mirrored.Merge(new float[3 * Size * Size], Size, Size));
    }

    /// <summary>A block whose view 0 holds 0, 1, 2, … and whose other views were expanded from it.</summary>
    private static float[] Expanded(TestTimeAugmentation augmentation)
    {
        var block = new float[augmentation.Views * View];
        for (var i = 0; i < View; i++)
        {
            block[i] = i;
        }

        augmentation.Expand(block, Size, Size);
        return block;
    }

    private static float At(float[] block, int view, int plane, int y, int x) =>
        block[(view * View) + (((plane * Size) + y) * Size) + x];
}
