using System.Diagnostics;
using System.Text.Json;
using NetVips;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// What napari and QuPath users open an OME-TIFF mask with, tifffile (Debian's python3-tifffile, which
/// ./test.sh installs), reads the pyramid <c>unetpp segment --mask-format ome-tiff</c> writes as one
/// OME series with its levels, and the input's pixel size from its OME-XML.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class OmeTiffReaderTests : IDisposable
{
    // Prints what a napari or QuPath user would look at: the series' levels, tiles, compression and OME pixel size.
    private const string Script = """
        import json, sys, tifffile
        import xml.etree.ElementTree as ET
        with tifffile.TiffFile(sys.argv[1]) as tiff:
            series = tiff.series[0]
            pixels = ET.fromstring(tiff.ome_metadata).find("{*}Image/{*}Pixels")
            page = tiff.pages[0]
            print(json.dumps({
                "ome": tiff.is_ome,
                "levels": [list(level.shape) for level in series.levels],
                "tile": [page.tilewidth, page.tilelength],
                "compression": int(page.compression),
                "physicalSizeX": float(pixels.get("PhysicalSizeX")),
                "values": sorted(int(v) for v in set(series.levels[0].asarray().ravel().tolist())),
            }))
        """;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TifffileReadsTheMasksPyramidAndPixelSize()
    {
        var images = Directory.CreateDirectory(_temp.File("images")).FullName;
        var png = _temp.File("wide.png");
        TestImages.WriteDiscs(png, 2500, 300, bands: 3);
        using (var image = Image.NewFromFile(png))
        {
            // 0.25 µm pixels: 40,000 pixels per centimetre.
            image.Tiffsave(Path.Combine(images, "wide.tif"), resunit: Enums.ForeignTiffResunit.Cm, xres: 4000, yres: 4000);
        }

        var output = _temp.File("out");
        var segmented = await CliRunner.RunAsync("segment", images, "--out", output, "--mask-format", "ome-tiff");
        Assert.True(segmented.ExitCode == ExitCodes.Success, segmented.Error);

        using var read = JsonDocument.Parse(await TifffileAsync(Path.Combine(output, "masks", "wide.ome.tif")));
        var found = read.RootElement;
        Assert.True(found.GetProperty("ome").GetBoolean());
        Assert.Equal([[300, 2500], [150, 1250], [75, 625]], found.GetProperty("levels").EnumerateArray().Select(l => l.EnumerateArray().Select(d => d.GetInt32()).ToArray()));
        Assert.Equal([1024, 1024], found.GetProperty("tile").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(8, found.GetProperty("compression").GetInt32());
        Assert.Equal(0.25, found.GetProperty("physicalSizeX").GetDouble(), 6);
        Assert.Equal([0, 255], found.GetProperty("values").EnumerateArray().Select(v => v.GetInt32()));
    }

    private static async Task<string> TifffileAsync(string path)
    {
        TestTier.StartingProcess("python3 with tifffile");

        // Debian's interpreter, the one python3-tifffile is installed for (a python3 earlier on the PATH may lack it).
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var (output, error) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"tifffile could not read {path} (./test.sh installs Debian's python3-tifffile): {await error}");
        return await output;
    }
}
