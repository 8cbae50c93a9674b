using System.IO.Compression;
using NetVips;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Tests.Masks;

/// <summary>
/// The row-by-row PNG writer every mask, probability map and overlay goes through: what it writes
/// must read back exactly in an independent decoder (libvips), at any size and chunking.
/// </summary>
public sealed class PngStreamWriterTests
{
    [Theory]
    [InlineData(PngPixels.Gray8, 1)]
    [InlineData(PngPixels.Gray16, 1)]
    [InlineData(PngPixels.Rgb8, 3)]
    public void RowsReadBackExactlyAcrossManyChunks(PngPixels pixels, int bands)
    {
        // Over 1 MiB of noisy rows, so the deflated stream spans several IDAT chunks.
        const int width = 1200, height = 1000;
        var random = new Random(5);
        var sampleBytes = pixels == PngPixels.Gray16 ? 2 : 1;
        var rows = new byte[height][];
        using var png = new MemoryStream();
        using (var writer = new PngStreamWriter(png, width, height, pixels, CompressionLevel.Fastest))
        {
            for (var y = 0; y < height; y++)
            {
                rows[y] = new byte[width * bands * sampleBytes];
                random.NextBytes(rows[y]);
                writer.WriteRow(rows[y]);
            }

            writer.Finish();
        }

        Assert.True(png.Length > 1 << 20, $"{png.Length} bytes");
        using var image = Image.NewFromBuffer(png.ToArray(), failOn: Enums.FailOn.Error);
        Assert.Equal((width, height, bands), (image.Width, image.Height, image.Bands));
        // libvips hands 16-bit samples back in machine order; PNG stores them big-endian.
        var decoded = pixels == PngPixels.Gray16 ? BigEndian(image.WriteToMemory<ushort>()) : image.WriteToMemory<byte>();
        for (var y = 0; y < height; y++)
        {
            var expected = rows[y];
            Assert.Equal(expected, decoded.AsSpan(y * expected.Length, expected.Length).ToArray());
        }
    }

    [Fact]
    public void IdatChunksAreOneMebibyteEachWhateverTheImage()
    {
        // The chunks' sizes are part of the file's bytes: a mask stitched from bands must equal a
        // one-machine one, and a mask written today must equal yesterday's, however the writer buffers.
        foreach (var (width, height) in new[] { (48, 48), (1200, 1000), (3000, 1000) })
        {
            var random = new Random(width);
            var row = new byte[width];
            using var png = new MemoryStream();
            using (var writer = new PngStreamWriter(png, width, height, PngPixels.Gray8, CompressionLevel.Fastest))
            {
                for (var y = 0; y < height; y++)
                {
                    random.NextBytes(row);
                    writer.WriteRow(row);
                }

                writer.Finish();
            }

            var idat = IdatLengths(png.ToArray());
            Assert.All(idat[..^1], length => Assert.Equal(1 << 20, length));
            Assert.InRange(idat[^1], 1, 1 << 20);
            Assert.Equal(width * height > 1 << 20, idat.Count > 1);
        }
    }

    private static List<int> IdatLengths(byte[] png)
    {
        var lengths = new List<int>();
        for (var at = 8; at < png.Length; )
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            if (System.Text.Encoding.ASCII.GetString(png, at + 4, 4) == "IDAT")
            {
                lengths.Add(length);
            }

            at += 12 + length;
        }

        return lengths;
    }

    private static byte[] BigEndian(ushort[] samples) => [.. samples.SelectMany(v => new[] { (byte)(v >> 8), (byte)v })];

    [Fact]
    public void SixteenBitRowsAreStoredBigEndianAndReadBackAsWritten()
    {
        ushort[] row = [0, 1, 256, 65535, 40000];
        using var png = new MemoryStream();
        using (var writer = new PngStreamWriter(png, row.Length, 2, PngPixels.Gray16, CompressionLevel.Optimal))
        {
            writer.WriteRow(row);
            writer.WriteRow(row);
            writer.Finish();
        }

        using var image = Image.NewFromBuffer(png.ToArray(), failOn: Enums.FailOn.Error);
        Assert.Equal(Enums.BandFormat.Ushort, image.Format);
        Assert.Equal(row.Concat(row), image.WriteToMemory<ushort>());
    }

    [Fact]
    public void AWriterRefusesTooFewTooManyAndMisshapenRows()
    {
        using var png = new MemoryStream();
        using var writer = new PngStreamWriter(png, 4, 2, PngPixels.Gray8, CompressionLevel.Fastest);

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteRow(new byte[5]));
        writer.WriteRow(new byte[4]);
        Assert.Throws<InvalidOperationException>(writer.Finish);
        writer.WriteRow(new byte[4]);
        Assert.Throws<InvalidOperationException>(() => writer.WriteRow(new byte[4]));
        writer.Finish();
        Assert.Throws<ObjectDisposedException>(() => writer.WriteRow(new byte[4]));
    }
}
