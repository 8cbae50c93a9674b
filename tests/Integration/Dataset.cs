using Azure.Storage.Blobs;
using NetVips;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// The test dataset: small deterministic images with a few bright discs each, plus four that cannot
/// be segmented, uploaded to a blob container. The same bytes every run.
/// </summary>
public static class Dataset
{
    public const string Container = "data";
    public const string InputPrefix = "in";
    public const int GoodCount = 200;

    /// <summary>Images that must fail, with a phrase their failure reason must contain.</summary>
    public static readonly IReadOnlyDictionary<string, string> Corrupt = new Dictionary<string, string>
    {
        ["truncated.png"] = "truncated or corrupt",
        ["empty.png"] = "empty",
        ["notes.png"] = "not a PNG, JPEG or TIFF",
        ["five-bands.tif"] = "5 channels",
    };

    /// <summary>Every good image's name under the input, with its size.</summary>
    public static IReadOnlyList<(string Name, int Width, int Height)> Good { get; } =
        [.. Enumerable.Range(0, GoodCount).Select(Describe)];

    public static int Total => GoodCount + Corrupt.Count;

    /// <summary>One good image is above the job's band threshold, so silos segment it band by band and one stitches it.</summary>
    public const int LargeWidth = 330;

    public const int LargeHeight = 290;

    /// <summary>The mask name a good image gets under the job's output.</summary>
    public static string MaskOf(string image) => "masks/" + Path.ChangeExtension(image, ".png");

    public static async Task UploadAsync(string connectionString, CancellationToken cancellationToken)
    {
        var container = new BlobContainerClient(connectionString, Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var files = new List<(string Name, byte[] Bytes)>();
        foreach (var (name, width, height) in Good)
        {
            files.Add((name, Png(width, height, seed: Good.Count + files.Count)));
        }

        var sample = files[0].Bytes;
        files.Add(("truncated.png", sample[..(sample.Length / 2)]));
        files.Add(("empty.png", []));
        files.Add(("notes.png", "this is not an image"u8.ToArray()));
        using (var fiveBands = Image.Black(20, 20, bands: 5))
        {
            files.Add(("five-bands.tif", fiveBands.WriteToBuffer(".tif")));
        }

        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (file, ct) =>
            await container.GetBlobClient($"{InputPrefix}/{file.Name}").UploadAsync(BinaryData.FromBytes(file.Bytes), overwrite: true, ct));
    }

    private static (string Name, int Width, int Height) Describe(int i)
    {
        var name = i % 20 == 7 ? $"plate-{i % 3}/img-{i:D3}.png" : $"img-{i:D3}.png";
        var (width, height) = i == 1 ? (LargeWidth, LargeHeight) : (i % 7) switch
        {
            0 => (80, 72), // more than one tile: the tiles' seams must blend the same everywhere
            3 => (48, 56),
            _ => (64, 64),
        };
        return (name, width, height);
    }

    /// <summary>A few bright discs on a dim noisy ramp.</summary>
    private static byte[] Png(int width, int height, int seed)
    {
        var random = new Random(seed);
        var discs = Enumerable.Range(0, 2 + random.Next(3))
            .Select(_ => (X: random.Next(width), Y: random.Next(height), R: 4 + random.Next(9)))
            .ToList();
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var inDisc = discs.Any(d => ((x - d.X) * (x - d.X)) + ((y - d.Y) * (y - d.Y)) <= d.R * d.R);
                for (var b = 0; b < 3; b++)
                {
                    pixels[(((y * width) + x) * 3) + b] = (byte)((inDisc ? 200 : x / 2) + random.Next(30));
                }
            }
        }

        using var image = Image.NewFromMemory(pixels, width, height, 3, Enums.BandFormat.Uchar);
        return image.WriteToBuffer(".png");
    }
}
