using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Tests.Tiling;

public sealed class TileGridTests
{
    [Fact]
    public void RandomGridsCoverEveryPixelWithTilesInsideTheImage()
    {
        var random = new Random(20240607);
        int[] sizes = [16, 32, 48, 64, 128];
        for (var run = 0; run < 400; run++)
        {
            // Every 50th run uses an overlap so high the stride is 1; small images keep those fast.
            var extreme = run % 50 == 0;
            var height = random.Next(1, extreme ? 60 : 400);
            var width = random.Next(1, extreme ? 60 : 400);
            var tileSize = sizes[random.Next(sizes.Length)];
            var overlap = extreme ? 0.999 : run % 5 == 0 ? 0 : random.NextDouble() * 0.9;
            var grid = new TileGrid(height, width, tileSize, overlap);

            var stride = Math.Max(1, (int)Math.Round(tileSize * (1 - overlap), MidpointRounding.AwayFromZero));
            Assert.Equal(stride, grid.Stride);
            Assert.Equal(ExpectedCount(height, tileSize, stride) * ExpectedCount(width, tileSize, stride), grid.Tiles.Count);

            var covered = new bool[height * width];
            for (var i = 0; i < grid.Tiles.Count; i++)
            {
                var tile = grid.Tiles[i];
                Assert.Equal(i, tile.Index);
                Assert.True(tile.X >= 0 && tile.Y >= 0);
                Assert.True(tile.X + tile.Width <= width && tile.Y + tile.Height <= height);
                Assert.Equal(Math.Min(width, tileSize), tile.Width);
                Assert.Equal(Math.Min(height, tileSize), tile.Height);
                for (var y = tile.Y; y < tile.Y + tile.Height; y++)
                {
                    Array.Fill(covered, true, (y * width) + tile.X, tile.Width);
                }
            }

            Assert.DoesNotContain(false, covered);
        }
    }

    private static int ExpectedCount(int size, int tileSize, int stride) =>
        size <= tileSize ? 1 : (int)Math.Ceiling((size - tileSize) / (double)stride) + 1;

    [Fact]
    public void LastTileEndsAtTheEdge()
    {
        var grid = new TileGrid(100, 100, 32, 0.25);
        Assert.Equal(24, grid.Stride);
        Assert.Equal([0, 24, 48, 68], grid.Tiles.Take(4).Select(t => t.X));
        Assert.Equal(16, grid.Tiles.Count);
    }

    [Fact]
    public void AnImageSmallerThanATileGetsOneTileOfItsOwnSize()
    {
        var grid = new TileGrid(17, 20, 32);
        Assert.Equal([new Tile(0, 0, 20, 17, 0)], grid.Tiles);
        Assert.Equal((17, 20), (grid.WindowHeight, grid.WindowWidth));
    }

    [Fact]
    public void AnAxisUnder16PixelsIsPaddedTo16()
    {
        var grid = new TileGrid(10, 5, 32);
        Assert.Equal([new Tile(0, 0, 5, 10, 0)], grid.Tiles);
        Assert.Equal((16, 16), (grid.WindowHeight, grid.WindowWidth));
    }

    [Fact]
    public void AnAxisShorterThanATileRunsAtItsOwnLengthUnlessPadded()
    {
        var open = new TileGrid(40, 200, 64);
        var padded = new TileGrid(40, 200, 64, padShortAxes: true);

        Assert.Equal((40, 64), (open.WindowHeight, open.WindowWidth));
        Assert.Equal((64, 64), (padded.WindowHeight, padded.WindowWidth));
        Assert.Equal(padded.Tiles, open.Tiles);
        Assert.Equal([0, 48, 96, 136], open.Tiles.Select(t => t.X));
        Assert.All(open.Tiles, t => Assert.Equal((0, 64, 40), (t.Y, t.Width, t.Height)));
    }

    [Fact]
    public void AGridOfFullTilesIsTheSamePaddedOrNot()
    {
        var open = new TileGrid(130, 100, 64);
        var padded = new TileGrid(130, 100, 64, padShortAxes: true);

        Assert.Equal((64, 64), (open.WindowHeight, open.WindowWidth));
        Assert.Equal(padded.Tiles, open.Tiles);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(24)]
    public void TileSizeMustBeAMultipleOf16(int tileSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TileGrid(10, 10, tileSize));

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void OverlapMustBeBelowOne(double overlap) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TileGrid(10, 10, 16, overlap));

    [Fact]
    public void CopyTileCopiesTheValidPartAndPadsWithZeros()
    {
        const int channels = 2, height = 20, width = 5, t = 16;
        var data = Enumerable.Range(1, channels * height * width).Select(v => (float)v).ToArray();
        var image = new ImageTensor(channels, height, width, data);
        var grid = new TileGrid(height, width, t, 0.5, padShortAxes: true);
        var destination = new float[channels * t * t];
        Array.Fill(destination, -1f);

        var tile = grid.Tiles[^1];
        Assert.Equal((0, 4, 5, 16), (tile.X, tile.Y, tile.Width, tile.Height));
        grid.CopyTile(image, tile, destination);

        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < t; y++)
            {
                for (var x = 0; x < t; x++)
                {
                    var expected = y < tile.Height && x < tile.Width ? data[(((c * height) + tile.Y + y) * width) + tile.X + x] : 0f;
                    Assert.Equal(expected, destination[(((c * t) + y) * t) + x]);
                }
            }
        }
    }

    [Fact]
    public void CopyTileOfAShortAxisCopiesRowsOfTheImagesOwnWidth()
    {
        const int height = 40, width = 19, t = 32;
        var data = Enumerable.Range(1, height * width).Select(v => (float)v).ToArray();
        var grid = new TileGrid(height, width, t, 0.5);
        var destination = new float[t * width];

        var tile = grid.Tiles[^1];
        grid.CopyTile(new ImageTensor(1, height, width, data), tile, destination);

        Assert.Equal(data.AsSpan(tile.Y * width, t * width).ToArray(), destination);
    }

    [Fact]
    public void CopyTileChecksTheDestinationLength()
    {
        var image = new ImageTensor(1, 4, 4, new float[16]);
        var grid = new TileGrid(4, 4, 16);
        Assert.Throws<ArgumentException>(() => grid.CopyTile(image, grid.Tiles[0], new float[100]));
    }
}
