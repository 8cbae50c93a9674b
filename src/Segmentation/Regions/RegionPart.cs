using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Regions;

/// <summary>
/// One region of a large image, segmented: its part of the mask and of the probability map, and the
/// counts the whole image's statistics and scores are added up from. Stored between the machine that
/// segments the region and the one that stitches the image, so it has a compact binary form.
/// </summary>
public sealed class RegionPart
{
    private static readonly byte[] Magic = "UNPPRGN1"u8.ToArray();

    private static readonly int Header = Magic.Length + sizeof(long);

    public RegionPart(
        int imageWidth,
        int imageHeight,
        PixelRect region,
        int classes,
        int tiles,
        byte[] labels,
        ushort[]? probability,
        ClassTotals totals,
        IReadOnlyList<ClassQuality>? quality)
    {
        if (region.Area == 0 || !PixelRect.Whole(imageWidth, imageHeight).Contains(region))
        {
            throw new ArgumentOutOfRangeException(nameof(region), region, $"The region must be a non-empty part of the {imageWidth}×{imageHeight} image.");
        }

        ArgumentOutOfRangeException.ThrowIfNotEqual(labels.LongLength, region.Area, nameof(labels));
        if (probability is not null)
        {
            ArgumentOutOfRangeException.ThrowIfNotEqual(probability.LongLength, region.Area, nameof(probability));
        }

        ImageWidth = imageWidth;
        ImageHeight = imageHeight;
        Region = region;
        Classes = classes;
        Tiles = tiles;
        Labels = labels;
        Probability = probability;
        Totals = totals;
        Quality = quality;
    }

    public int ImageWidth { get; }

    public int ImageHeight { get; }

    public PixelRect Region { get; }

    /// <summary>The model's output channels (K).</summary>
    public int Classes { get; }

    /// <summary>Grid tiles segmented for this region, the ones shared with neighbouring regions included.</summary>
    public int Tiles { get; }

    /// <summary>The region's mask labels, row-major.</summary>
    public byte[] Labels { get; }

    /// <summary>The region's 16-bit foreground probability, when the job asked for probability maps.</summary>
    public ushort[]? Probability { get; }

    public ClassTotals Totals { get; }

    /// <summary>Agreement with ground truth over the region, when there was ground truth.</summary>
    public IReadOnlyList<ClassQuality>? Quality { get; }

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        buffer.Write(Magic);
        // The compressed length, filled in below: a part cut short in storage or in transit is then
        // refused outright instead of being read as far as it goes.
        buffer.Write(new byte[sizeof(long)]);
        using (var compressed = new ZLibStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new BinaryWriter(compressed, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(ImageWidth);
            writer.Write(ImageHeight);
            writer.Write(Region.X);
            writer.Write(Region.Y);
            writer.Write(Region.Width);
            writer.Write(Region.Height);
            writer.Write(Classes);
            writer.Write(Tiles);
            writer.Write(Labels);
            writer.Write(Probability is not null);
            if (Probability is not null)
            {
                writer.Write(MemoryMarshal.AsBytes(Probability.AsSpan()));
            }

            writer.Write(Totals.Pixels.Length);
            for (var i = 0; i < Totals.Pixels.Length; i++)
            {
                writer.Write(Totals.Pixels[i]);
                writer.Write(Totals.ProbabilitySums[i]);
            }

            writer.Write(Quality?.Count ?? -1);
            foreach (var q in Quality ?? [])
            {
                writer.Write(q.ClassIndex);
                writer.Write(q.Intersection);
                writer.Write(q.PredictedPixels);
                writer.Write(q.TruthPixels);
            }
        }

        var bytes = buffer.ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(Magic.Length), (long)(bytes.Length - Header));
        return bytes;
    }

    /// <exception cref="InvalidDataException">The bytes are not a whole region part.</exception>
    public static RegionPart Decode(byte[] bytes)
    {
        if (bytes.Length < Header || !bytes.AsSpan().StartsWith(Magic))
        {
            throw new InvalidDataException("not a region part");
        }

        var length = BitConverter.ToInt64(bytes, Magic.Length);
        if (length != bytes.Length - Header)
        {
            throw new InvalidDataException($"a region part of {bytes.Length - Header} bytes that should have {length}");
        }

        try
        {
            using var compressed = new ZLibStream(new MemoryStream(bytes, Header, bytes.Length - Header), CompressionMode.Decompress);
            using var reader = new BinaryReader(compressed, Encoding.UTF8);
            var imageWidth = reader.ReadInt32();
            var imageHeight = reader.ReadInt32();
            var region = new PixelRect(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
            if (region.Width <= 0 || region.Height <= 0)
            {
                throw new InvalidDataException($"region {region} is empty");
            }

            var classes = reader.ReadInt32();
            var tiles = reader.ReadInt32();
            var labels = ReadExactly(reader, checked((int)region.Area));
            ushort[]? probability = null;
            if (reader.ReadBoolean())
            {
                probability = new ushort[region.Area];
                reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(probability.AsSpan()));
            }

            var totalsLength = reader.ReadInt32();
            if (totalsLength is < 2 or > 256)
            {
                throw new InvalidDataException($"{totalsLength} class totals");
            }

            var pixels = new long[totalsLength];
            var sums = new double[totalsLength];
            for (var i = 0; i < totalsLength; i++)
            {
                pixels[i] = reader.ReadInt64();
                sums[i] = reader.ReadDouble();
            }

            var qualityCount = reader.ReadInt32();
            List<ClassQuality>? quality = null;
            if (qualityCount >= 0)
            {
                quality = [];
                for (var i = 0; i < qualityCount; i++)
                {
                    var classIndex = reader.ReadInt32();
                    quality.Add(SegmentationQuality.FromCounts(classIndex, reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64()));
                }
            }

            return new RegionPart(imageWidth, imageHeight, region, classes, tiles, labels, probability, new ClassTotals(pixels, sums), quality);
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException or OverflowException or InvalidDataException)
        {
            throw new InvalidDataException($"a damaged region part ({ex.Message})", ex);
        }
    }

    private static byte[] ReadExactly(BinaryReader reader, int count)
    {
        var bytes = new byte[count];
        reader.BaseStream.ReadExactly(bytes);
        return bytes;
    }
}
