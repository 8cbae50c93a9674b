using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using System.Text.RegularExpressions;
using UNetPP.Cluster.Segmentation.Imaging;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

/// <summary>
/// Thousands of damaged PNG, JPEG and TIFF files (bit flips, overwritten runs, cuts, inserted and
/// dropped bytes, and headers that declare enormous rasters) through the whole-image and the
/// streamed decoders. Each must come back decoded or refused with an <see cref="ImageRejectedException"/>
/// naming the file and saying why: never another exception, never a crash, never a hang (the decode
/// time limit), and never a raster larger than the pixel limit, which bounds memory.
/// </summary>
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    private const long MaxPixels = 4_000_000;
    private const int PerSeed = 420;

    private static readonly InputSpec Rgb = new(3, AllowColorToGray: false, new InputNormalization([0f, 0f, 0f], [1f, 1f, 1f]));

    private readonly ImageDecoder _decoder = new(new ImageDecoderOptions { MaxPixels = MaxPixels, DecodeTimeout = TimeSpan.FromSeconds(20) });

    public static TheoryData<string> Seeds => ["png", "png16", "png-gray", "jpeg", "tiff", "tiff16"];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void DamagedFilesAreDecodedOrRefusedWithAReasonAndNothingElse(string seed)
    {
        var original = Seed(seed);
        // A seed of its own per format that is the same in every run (string hashes are not).
        var random = new Random(seed.Sum(c => c) * 7919);
        var outcomes = new Dictionary<string, int>();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < PerSeed; i++)
        {
            var (kind, bytes) = Mutate(original, seed, random, i);
            var name = $"{seed}-{i}-{kind}";
            var clock = Stopwatch.StartNew();
            var outcome = Outcome(name, () =>
            {
                var tensor = _decoder.Decode(name, bytes, Rgb);
                Assert.True((long)tensor.Width * tensor.Height <= MaxPixels, $"{name}: decoded {tensor.Width}×{tensor.Height}");
            });

            // The streamed reader sees the same file as a band's worker would.
            var streamed = Outcome(name, () =>
            {
                using var image = _decoder.Open(name, new MemoryStream(bytes));
                var window = new ImageTensor(3, 1, image.Width, new float[3 * image.Width]);
                for (var y = 0; y < image.Height; y++)
                {
                    image.ReadTensorRows(Rgb, y, 1, window, 0);
                }
            });

            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, clock.Elapsed.Ticks));
            var key = $"{kind}: {outcome} / streamed {streamed}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        foreach (var (key, count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{count,4} {key}");
        }

        output.WriteLine($"{PerSeed} files from the {seed} seed, slowest {slowest.TotalMilliseconds:F0} ms");
        Assert.Contains(outcomes.Keys, k => k.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public void HeadersDeclaringHugeRastersAreRefusedBeforeAnyPixelIsDecoded()
    {
        foreach (var seed in new[] { "png", "jpeg", "tiff" })
        {
            foreach (var (width, height) in new[] { (60_000, 60_000), (65_535, 65_535), (1_000_000, 5) })
            {
                var bomb = WithDeclaredSize(Seed(seed), seed, width, height);
                var error = Assert.Throws<ImageRejectedException>(() => _decoder.Decode("bomb." + seed, bomb, Rgb));
                Assert.Equal("bomb." + seed, error.ImageName);
                Assert.True(
                    error.Message.Contains("exceeds the limit", StringComparison.Ordinal) || error.Message.Contains("truncated or corrupt", StringComparison.Ordinal),
                    $"{seed} {width}×{height}: {error.Message}");
                Assert.Throws<ImageRejectedException>(() => _decoder.Open("bomb." + seed, new MemoryStream(bomb)).Dispose());
            }
        }
    }

    [Fact]
    public void ADecodeOverItsTimeLimitIsStoppedAndRefusedSayingSo()
    {
        var hasty = new ImageDecoder(new ImageDecoderOptions { DecodeTimeout = TimeSpan.FromMilliseconds(1) });
        var png = TestImages.Png(TestImages.Ramp(3000 * 3000 * 3, seed: 9), 3000, 3000, 3);

        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<ImageRejectedException>(() => hasty.Decode("slow.png", png, Rgb));

        Assert.Equal("slow.png", error.ImageName);
        Assert.Contains("decoding took longer than the limit of 0.001 s", error.Message, StringComparison.Ordinal);
        output.WriteLine($"stopped after {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>"decoded", or "refused (why)" with the reason's first words; any other exception fails the test.</summary>
    private static string Outcome(string name, Action decode)
    {
        try
        {
            decode();
            return "decoded";
        }
        catch (ImageRejectedException ex)
        {
            Assert.Equal(name, ex.ImageName);
            Assert.False(string.IsNullOrWhiteSpace(ex.Reason), $"{name}: an empty reason");
            // Sizes and numbers vary file by file; the kind of reason is what is counted.
            return $"refused ({Regex.Replace(ex.Reason, @"\d[\d.,×=]*(?: ?[a-z]*pixels?)?", "#").Split(" (", 2)[0]})";
        }
    }

    private static byte[] Seed(string kind)
    {
        const int width = 48, height = 40;
        return kind switch
        {
            "png" => TestImages.Png(TestImages.Ramp(width * height * 3, seed: 3), width, height, 3),
            "png16" => TestImages.Png16(TestImages.Ramp16(width * height * 3), width, height, 3),
            "png-gray" => TestImages.Png(TestImages.Ramp(width * height, seed: 5), width, height, 1),
            "jpeg" => TestImages.Jpeg(TestImages.Ramp(width * height * 3, seed: 3), width, height, 3),
            "tiff" => TestImages.Tiff(TestImages.Ramp(width * height * 3, seed: 3), width, height, 3),
            _ => TestImages.Tiff16(TestImages.Ramp16(width * height * 3), width, height, 3),
        };
    }

    private static (string Kind, byte[] Bytes) Mutate(byte[] original, string seed, Random random, int index)
    {
        var bytes = (byte[])original.Clone();
        switch (index % 6)
        {
            case 0:
                for (var flips = random.Next(1, 24); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return ("bit flips", bytes);
            case 1:
                var start = random.Next(bytes.Length);
                var run = random.Next(1, 64);
                for (var i = start; i < Math.Min(bytes.Length, start + run); i++)
                {
                    bytes[i] = (byte)random.Next(256);
                }

                return ("overwritten run", bytes);
            case 2:
                return ("truncated", bytes[..random.Next(bytes.Length)]);
            case 3:
                var at = random.Next(bytes.Length);
                var inserted = new byte[random.Next(1, 200)];
                random.NextBytes(inserted);
                return ("inserted bytes", [.. bytes[..at], .. inserted, .. bytes[at..]]);
            case 4:
                var from = random.Next(bytes.Length);
                return ("dropped bytes", [.. bytes[..from], .. bytes[Math.Min(bytes.Length, from + random.Next(1, 200))..]]);
            default:
                var side = random.Next(4) switch { 0 => 0, 1 => 65_535, 2 => random.Next(1, 100_000), _ => int.MaxValue };
                return ("declared size", WithDeclaredSize(bytes, seed, side, random.Next(1, 100_000)));
        }
    }

    /// <summary>The file with its header's width and height replaced (and the PNG header's checksum made right, so only the size is wrong).</summary>
    private static byte[] WithDeclaredSize(byte[] original, string seed, int width, int height)
    {
        var bytes = (byte[])original.Clone();
        if (seed.StartsWith("png", StringComparison.Ordinal))
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32.HashToUInt32(bytes.AsSpan(12, 17)));
            return bytes;
        }

        if (seed == "jpeg")
        {
            for (var i = 2; i + 9 < bytes.Length; i++)
            {
                if (bytes[i] == 0xFF && bytes[i + 1] is 0xC0 or 0xC2)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 5), (ushort)Math.Min(height, ushort.MaxValue));
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 7), (ushort)Math.Min(width, ushort.MaxValue));
                    break;
                }
            }

            return bytes;
        }

        // TIFF as libvips writes it: little-endian, the first IFD's ImageWidth (256) and ImageLength (257).
        var ifd = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
        var entries = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ifd));
        for (var e = 0; e < entries; e++)
        {
            var entry = bytes.AsSpan(ifd + 2 + (e * 12), 12);
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(entry);
            if (tag is 256 or 257)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], 4); // LONG
                BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], 1);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], (uint)(tag == 256 ? width : height));
            }
        }

        return bytes;
    }
}
