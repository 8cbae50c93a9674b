using System.Diagnostics;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

/// <summary>
/// OME-TIFFs as a lab's own tools write them: tifffile (Debian's python3-tifffile) lays out channels,
/// focal planes and time points in the order of the array's axes, and the decoder finds each by its
/// name and plane. Every sample is (t × 100 + z × 10 + c) × 100 + y × width + x, so a wrong page shows.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class TifffileOmeTests : IDisposable
{
    private const int Width = 5, Height = 4;
    private static readonly InputSpec Gray = new(1, AllowColorToGray: false, new InputNormalization([0f], [1f]));

    private readonly string _folder = Directory.CreateTempSubdirectory("unetpp-tifffile-").FullName;
    private readonly ImageDecoder decoder = new(new ImageDecoderOptions());

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("ZCYX", "z1", 0, 1, 2)]
    [InlineData("CZYX", "z1", 0, 1, 2)]
    [InlineData("TZCYX", "z1.t2", 2, 1, 1)]
    [InlineData("TCYX", "t1", 1, 0, 2)]
    public async Task EachPlaneAndChannelIsFoundWhateverTheAxisOrder(string axes, string plane, int t, int z, int c)
    {
        var path = Path.Combine(_folder, "x.ome.tif");
        await WriteAsync(path, axes);
        var bytes = await File.ReadAllBytesAsync(path);

        var tensor = decoder.Decode($"x.ome.tif#{plane}", bytes, Gray with { Choice = ChannelChoice.Parse(Stain(c)) });

        var first = ((t * 100) + (z * 10) + c) * 100;
        Assert.Equal(Enumerable.Range(0, Width * Height).Select(i => (first + i) / 65535f), tensor.Data);
        Assert.Contains(plane, ImageDecoder.ReadPlanes("x.ome.tif", new MemoryStream(bytes)));
    }

    private static string Stain(int c) => new[] { "DAPI", "GFP", "RFP" }[c];

    /// <summary>Writes a 16-bit OME-TIFF with axes <paramref name="axes"/>: Z 2, T 3, C 3 where they appear.</summary>
    private static async Task WriteAsync(string path, string axes)
    {
        const string script = """
            import sys, numpy as np, tifffile
            path, axes = sys.argv[1], sys.argv[2]
            sizes = {'T': 3, 'Z': 2, 'C': 3, 'Y': 4, 'X': 5}
            shape = [sizes[a] for a in axes]
            data = np.zeros(shape, dtype=np.uint16)
            for index in np.ndindex(*shape):
                at = dict(zip(axes, index))
                data[index] = (at.get('T', 0) * 100 + at.get('Z', 0) * 10 + at['C']) * 100 + at['Y'] * 5 + at['X']
            tifffile.imwrite(path, data, ome=True, metadata={'axes': axes, 'Channel': {'Name': ['DAPI', 'GFP', 'RFP']}})
            """;
        TestTier.StartingProcess("python3 with tifffile");

        // Debian's interpreter, the one python3-tifffile is installed for (a python3 earlier on the PATH may lack it).
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", script, path, axes })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, await error);
    }
}
