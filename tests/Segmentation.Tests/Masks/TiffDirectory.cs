using System.Buffers.Binary;
using System.Text;

namespace UNetPP.Cluster.Segmentation.Tests.Masks;

/// <summary>
/// One image file directory of a classic little-endian TIFF, read straight from the file's bytes: what a
/// reader such as QuPath sees of the layout (tiles, compression, SubIFDs), which libvips does not report.
/// </summary>
internal sealed record TiffDirectory(IReadOnlyDictionary<int, long[]> Numbers, string? Description, IReadOnlyList<TiffDirectory> SubIfds)
{
    public const int Width = 256;
    public const int Height = 257;
    public const int BitsPerSample = 258;
    public const int Compression = 259;
    public const int ResolutionUnit = 296;
    public const int TileWidth = 322;
    public const int TileLength = 323;
    public const int Deflate = 8;
    public const int Centimetre = 3;
    private const int XResolution = 282;

    /// <summary>Pixels per resolution unit across, as stored (a rational).</summary>
    public double XPixelsPerUnit { get; private init; }

    public long this[int tag] => Numbers[tag][0];

    /// <summary>The file's directories in their chain, each with its SubIFDs.</summary>
    public static IReadOnlyList<TiffDirectory> Read(byte[] file)
    {
        Assert.Equal("II*\0", Encoding.ASCII.GetString(file, 0, 4));
        var directories = new List<TiffDirectory>();
        for (var offset = (long)U32(file, 4); offset != 0;)
        {
            directories.Add(At(file, offset, out offset));
        }

        return directories;
    }

    private static TiffDirectory At(byte[] file, long offset, out long next)
    {
        var count = U16(file, offset);
        var numbers = new Dictionary<int, long[]>();
        string? description = null;
        var subIfds = new List<TiffDirectory>();
        double xResolution = 0;
        for (var i = 0; i < count; i++)
        {
            var entry = offset + 2 + (i * 12);
            var (tag, type, n) = (U16(file, entry), U16(file, entry + 2), (long)U32(file, entry + 4));
            var size = type switch { 1 or 2 => 1, 3 => 2, 5 => 8, _ => 4 } * n;
            var at = size <= 4 ? entry + 8 : U32(file, entry + 8);
            switch (type)
            {
                case 2:
                    description = tag == 270 ? Encoding.UTF8.GetString(file, (int)at, (int)n).TrimEnd('\0') : description;
                    break;
                case 5:
                    xResolution = tag == XResolution ? (double)U32(file, at) / U32(file, at + 4) : xResolution;
                    break;
                default:
                    numbers[tag] = [.. Enumerable.Range(0, (int)n).Select(k => type == 3 ? U16(file, at + (k * 2)) : (long)U32(file, at + (k * 4)))];
                    break;
            }
        }

        foreach (var child in numbers.GetValueOrDefault(330) ?? [])
        {
            subIfds.Add(At(file, child, out _));
        }

        next = U32(file, offset + 2 + (count * 12));
        return new TiffDirectory(numbers, description, subIfds) { XPixelsPerUnit = xResolution };
    }

    private static ushort U16(byte[] file, long at) => BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan((int)at));

    private static uint U32(byte[] file, long at) => BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)at));
}
