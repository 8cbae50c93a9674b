using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NetVips;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

/// <summary>Builds encoded test images in memory so tests need no fixture files.</summary>
internal static class TestImages
{
    public static Image Raster(byte[] samples, int width, int height, int bands) =>
        Image.NewFromMemory(samples, width, height, bands, Enums.BandFormat.Uchar)
            .Copy(interpretation: bands < 3 ? Enums.Interpretation.Bw : Enums.Interpretation.Srgb);

    public static Image Raster16(ushort[] samples, int width, int height, int bands) =>
        Image.NewFromMemory(samples, width, height, bands, Enums.BandFormat.Ushort)
            .Copy(interpretation: bands < 3 ? Enums.Interpretation.Grey16 : Enums.Interpretation.Rgb16);

    public static byte[] Png(byte[] samples, int width, int height, int bands)
    {
        using var image = Raster(samples, width, height, bands);
        return image.PngsaveBuffer();
    }

    public static byte[] Png16(ushort[] samples, int width, int height, int bands)
    {
        using var image = Raster16(samples, width, height, bands);
        return image.PngsaveBuffer();
    }

    public static byte[] Tiff(byte[] samples, int width, int height, int bands)
    {
        using var image = Raster(samples, width, height, bands);
        return image.TiffsaveBuffer();
    }

    public static byte[] Tiff16(ushort[] samples, int width, int height, int bands)
    {
        using var image = Raster16(samples, width, height, bands);
        return image.TiffsaveBuffer();
    }

    public static byte[] Jpeg(byte[] samples, int width, int height, int bands)
    {
        using var image = Raster(samples, width, height, bands);
        return image.JpegsaveBuffer(q: 95);
    }

    /// <summary>Deterministic samples covering the whole 8-bit range.</summary>
    public static byte[] Ramp(int count, int seed = 0)
    {
        var samples = new byte[count];
        for (var i = 0; i < count; i++)
        {
            samples[i] = (byte)((i * 37) + seed);
        }

        return samples;
    }

    public static ushort[] Ramp16(int count)
    {
        var samples = new ushort[count];
        for (var i = 0; i < count; i++)
        {
            samples[i] = (ushort)((i * 4099) + 1);
        }

        return samples;
    }

    /// <summary>
    /// A valid PNG whose header declares a huge 8-bit gray raster but whose data is a few hundred bytes:
    /// a decompression bomb that must be refused from the header alone.
    /// </summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        WriteChunk(stream, "IHDR", header);
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(new byte[width + 1]);
        }

        WriteChunk(stream, "IDAT", compressed.ToArray());
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        stream.Write(chunk);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
