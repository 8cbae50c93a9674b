using System.CommandLine;
using System.Globalization;
using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Bands;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Synthetic;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// <c>unetpp-bench tiled-reads</c>: how many bytes of a giant tiled, pyramidal TIFF each band of a job
/// reads, against the file's size. A band reads the rows its tile rows need, as the engine's band path
/// does, through the decoder the workers use; the bytes are counted on the stream the store would serve.
/// </summary>
internal static class TiledReadsCommand
{
    private static readonly Option<string> Out = new("--out") { Description = "Folder for the TIFF (created; a few hundred MB).", Required = true };
    private static readonly Option<int> Size = new("--size") { Description = "Width and height of the image in pixels.", DefaultValueFactory = _ => 20_000 };
    private static readonly Option<int> TileSide = new("--tile-side") { Description = "Side of the TIFF's own tiles.", DefaultValueFactory = _ => 512 };

    public static Command Create()
    {
        var command = new Command("tiled-reads", "Bytes each band of a giant tiled TIFF reads.") { Out, Size, TileSide };
        command.SetAction(parse =>
        {
            var file = Write(parse.GetRequiredValue(Out), parse.GetValue(Size), parse.GetValue(TileSide));
            Measure(file, Console.Out);
            return 0;
        });
        return command;
    }

    /// <summary>Synthetic nuclei repeated to the size asked, saved as a tiled, compressed pyramid as slide scanners write them.</summary>
    private static string Write(string folder, int size, int tileSide)
    {
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"slide-{size}.tif"));
        const int field = 2048;
        var (png, _) = new SyntheticNuclei(field, field, seed: 5).Create(0);
        using var nuclei = Image.NewFromBuffer(png);
        var repeats = (size + field - 1) / field;
        using var repeated = nuclei.Replicate(repeats, repeats);
        using var slide = repeated.Crop(0, 0, size, size);
        slide.Tiffsave(file, tile: true, tileWidth: tileSide, tileHeight: tileSide, pyramid: true, compression: Enums.ForeignTiffCompression.Deflate);
        return file;
    }

    private static void Measure(string file, TextWriter output)
    {
        var length = new FileInfo(file).Length;
        var decoder = new ImageDecoder(new ImageDecoderOptions { MaxPixels = long.MaxValue });
        var spec = new InputSpec(3, AllowColorToGray: false, InputNormalization.ImageNet);
        ImageInfo info;
        using (var header = File.OpenRead(file))
        {
            info = ImageDecoder.ReadInfo(file, header);
        }

        var (width, height) = (info.Width, info.Height);

        var defaults = new JobSpec { Input = "-", Output = "-" };
        var tile = 256;
        var grid = new TileGrid(width, height, tile, defaults.Overlap);
        var bands = BandPlanner.Split(width, height, tile, defaults.Overlap, defaults.RegionSize);
        output.WriteLine(FormattableString.Invariant($"{Path.GetFileName(file)}: {width}×{height}, {length / 1e6:F1} MB, {bands.Count} bands of {defaults.RegionSize} rows (tile {tile}, overlap {defaults.Overlap})"));
        output.WriteLine("| band | rows | rows read | share of rows | MB read | share of file |");
        output.WriteLine("|---|---|---|---|---|---|");
        for (var i = 0; i < bands.Count; i++)
        {
            var rows = new BandRows(grid, bands[i]);
            var first = rows.TileRows[0].Top;
            var end = Math.Min(height, rows.TileRows[^1].Top + rows.WindowHeight);
            using var stream = new CountingStream(File.OpenRead(file));
            using (var image = decoder.Open(file, stream))
            {
                var window = new ImageTensor(3, rows.WindowHeight, width, new float[3L * rows.WindowHeight * width]);
                for (var top = first; top < end; top += rows.WindowHeight)
                {
                    image.ReadTensorRows(spec, top, Math.Min(rows.WindowHeight, end - top), window, 0);
                }
            }

            var band = bands[i];
            output.WriteLine(FormattableString.Invariant(
                $"| {i} | {band.Y}–{band.Bottom} | {first}–{end} | {(end - first) / (double)height:P1} | {stream.BytesRead / 1e6:F1} | {stream.BytesRead / (double)length:P1} |"));
        }
    }
}
