using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Tests.Tiling;

public sealed class GaussianBlenderTests
{
    /// <summary>Feeds every tile of a grid the values of <paramref name="f"/>(k, y, x) at its image coordinates.</summary>
    private static float[] Blend(TileGrid grid, int classes, Func<int, int, int, float> f) => Blend(new GaussianBlender(grid, classes), grid, classes, f);

    private static float[] Blend(GaussianBlender blender, TileGrid grid, int classes, Func<int, int, int, float> f)
    {
        var (h, w) = (grid.WindowHeight, grid.WindowWidth);
        var probabilities = new float[classes * h * w];
        foreach (var tile in grid.Tiles)
        {
            Array.Fill(probabilities, float.NaN);
            for (var k = 0; k < classes; k++)
            {
                for (var y = 0; y < tile.Height; y++)
                {
                    for (var x = 0; x < tile.Width; x++)
                    {
                        probabilities[(((k * h) + y) * w) + x] = f(k, tile.Y + y, tile.X + x);
                    }
                }
            }

            blender.Add(tile, probabilities);
        }

        return blender.Finish();
    }

    [Fact]
    public void WeightMapPeaksAtOneAndIsPositiveAndSymmetric()
    {
        const int t = 64;
        var map = GaussianBlender.WeightMapFor(t).ToArray();
        Assert.Equal(1f, map.Max());
        Assert.True(map.Min() > 0f);
        Assert.Equal(map[0], map[(t * t) - 1]);
        Assert.Equal(map[5], map[(5 * t) + 0]);
        var sigma = t / 8.0;
        var c = (t - 1) / 2.0;
        var peak = Math.Exp(-2 * 0.25 / (2 * sigma * sigma));
        Assert.Equal((float)(Math.Exp(-((c * c) + (c * c)) / (2 * sigma * sigma)) / peak), map[0], 1e-12f);
    }

    [Fact]
    public void ConstantMapsBlendToTheConstant()
    {
        var result = Blend(new TileGrid(70, 90, 32, 0.4), 2, (k, _, _) => k == 0 ? 0.3f : 0.7f);
        Assert.All(result.AsSpan(0, 70 * 90).ToArray(), v => Assert.Equal(0.3f, v, 1e-6f));
        Assert.All(result.AsSpan(70 * 90).ToArray(), v => Assert.Equal(0.7f, v, 1e-6f));
    }

    [Fact]
    public void SingleTileCoveringTheImageIsReturnedAsIs()
    {
        var grid = new TileGrid(20, 30, 32);
        var result = Blend(grid, 1, (_, y, x) => ((y * 30) + x) / 600f);
        for (var i = 0; i < 600; i++)
        {
            // Σ w·p / Σ w with a single term is p up to float rounding.
            Assert.Equal(i / 600f, result[i], 1e-6f);
        }
    }

    [Theory]
    [InlineData(100, 75)]
    [InlineData(20, 100)]
    [InlineData(90, 13)]
    public void OverlappingTilesOfASmoothFunctionReproduceIt(int height, int width)
    {
        static float F(int k, int y, int x) => 0.5f + (0.2f * MathF.Sin(x / 7f)) + (0.2f * MathF.Cos(y / 5f)) + (0.05f * k);
        var grid = new TileGrid(height, width, 32, 0.5);
        var result = Blend(grid, 3, F);
        for (var k = 0; k < 3; k++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    Assert.Equal(F(k, y, x), result[(((k * height) + y) * width) + x], 1e-5f);
                }
            }
        }
    }

    [Fact]
    public void TilesAsTallAsAShortImageAreWeighedAlongItsLengthOnly()
    {
        // Two tiles 16 rows tall overlap on columns 16…31; the left says 1, the right 0. Every row
        // gets the same blend, as the weights across a single row of tiles cancel out.
        var blender = new GaussianBlender(new TileGrid(16, 48, 32), 1);
        blender.Add(new Tile(0, 0, 32, 16, 0), Enumerable.Repeat(1f, 16 * 32).ToArray());
        blender.Add(new Tile(16, 0, 32, 16, 1), new float[16 * 32]);
        var result = blender.Finish();

        Assert.True(result[17] > 0.5f);
        Assert.True(result[30] < 0.5f);
        for (var y = 1; y < 16; y++)
        {
            Assert.Equal(result.AsSpan(0, 48).ToArray(), result.AsSpan(y * 48, 48).ToArray(), (a, b) => Math.Abs(a - b) <= 1e-6f);
        }
    }

    [Fact]
    public void BlendingWeighsTileCentresAboveTileEdges()
    {
        // Two tiles overlap on columns 16…31; the left tile says 1, the right tile says 0.
        var blender = new GaussianBlender(new TileGrid(32, 48, 32), 1);
        blender.Add(new Tile(0, 0, 32, 32, 0), Enumerable.Repeat(1f, 32 * 32).ToArray());
        blender.Add(new Tile(16, 0, 32, 32, 1), new float[32 * 32]);
        var result = blender.Finish();
        Assert.True(result[(16 * 48) + 17] > 0.5f);
        Assert.True(result[(16 * 48) + 30] < 0.5f);
    }

    [Fact]
    public void StripsBlendedInReusedArraysEqualStripsBlendedInNewOnes()
    {
        static float F(int k, int y, int x) => 0.5f + (0.3f * MathF.Sin((x + y) / 9f)) + (0.1f * k);
        static float G(int k, int y, int x) => 0.25f + (0.2f * MathF.Cos(x / 4f)) - (0.1f * k);
        var grid = new TileGrid(96, 70, 32, 0.25);
        var area = new PixelRect(0, 24, 70, 24);
        var buffers = new StripBuffers();

        // A strip's arrays pass to the next strip of the same size, which must start from zero.
        var first = new GaussianBlender(grid, 2, area, buffers);
        var firstArray = Blend(first, grid, 2, F);
        var firstResult = firstArray.ToArray();
        first.GiveBack(buffers);
        var reused = Blend(new GaussianBlender(grid, 2, area, buffers), grid, 2, G);

        Assert.Equal(Blend(new GaussianBlender(grid, 2, area), grid, 2, F), firstResult);
        Assert.Equal(Blend(new GaussianBlender(grid, 2, area), grid, 2, G), reused);
        Assert.Same(firstArray, reused);
        var unfinished = new GaussianBlender(grid, 2, area, buffers);
        Assert.Throws<InvalidOperationException>(() => unfinished.GiveBack(buffers));
    }

    [Fact]
    public void UncoveredPixelsAndReuseAreErrors()
    {
        var blender = new GaussianBlender(new TileGrid(20, 40, 16), 1);
        blender.Add(new Tile(0, 0, 16, 16, 0), new float[256]);
        Assert.Throws<InvalidOperationException>(blender.Finish);

        var single = new GaussianBlender(new TileGrid(16, 16, 16), 1);
        single.Add(new Tile(0, 0, 16, 16, 0), new float[256]);
        single.Finish();
        Assert.Throws<InvalidOperationException>(single.Finish);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianBlender(new TileGrid(16, 16, 16), 1).Add(new Tile(8, 0, 16, 16, 0), new float[256]));
    }
}
