using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>One calibration tile as the model is shown it: [channels, height, width], normalised.</summary>
public sealed record CalibrationTile(string Image, int Channels, int Height, int Width, float[] Data);

/// <summary>
/// Tiles for calibration, cut from a folder of images exactly as the engine cuts them: each image decoded
/// and normalised by <see cref="ImageDecoder"/> as the card's input says, covered by the engine's
/// <see cref="TileGrid"/> at the card's tile size, and tiles copied by <see cref="TileGrid.CopyTile(ImageTensor, Tile, Span{float})"/>.
/// When the images hold more tiles than asked for, tiles are taken evenly across all of them in order.
/// </summary>
public sealed class CalibrationTiles
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff"];

    private readonly IReadOnlyList<(string Path, TileGrid Grid, int[] Chosen)> _plan;
    private readonly InputSpec _spec;
    private readonly ImageDecoder _decoder = new(new ImageDecoderOptions());

    private CalibrationTiles(IReadOnlyList<(string Path, TileGrid Grid, int[] Chosen)> plan, InputSpec spec)
    {
        _plan = plan;
        _spec = spec;
    }

    /// <summary>Images the chosen tiles come from.</summary>
    public int Images => _plan.Count;

    public int Count => _plan.Sum(p => p.Chosen.Length);

    /// <summary>
    /// Plans <paramref name="count"/> tiles (or every tile, if the images hold fewer) from the images in
    /// <paramref name="folder"/> (PNG, JPEG, TIFF; not its subfolders). Every image's header is read first,
    /// so an unreadable one is refused before any time is spent.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder holds no images.</exception>
    /// <exception cref="ImageRejectedException">An image cannot be read; names it and says why.</exception>
    public static CalibrationTiles Plan(string folder, ModelCard card, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{folder}: calibration folder not found");
        }

        var files = Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new InvalidDataException($"{folder}: the calibration folder holds no images (PNG, JPEG or TIFF)");
        }

        var grids = new List<(string Path, TileGrid Grid)>();
        foreach (var file in files)
        {
            ImageInfo info;
            try
            {
                using var stream = File.OpenRead(file);
                info = ImageDecoder.ReadInfo(file, stream);
            }
            catch (IOException e)
            {
                throw new ImageRejectedException(file, $"cannot be read ({e.Message})", e);
            }

            grids.Add((file, new TileGrid(info.Height, info.Width, card.TileSize)));
        }

        // Evenly spaced over every tile of every image, in order: the k-th of n is tile ⌊k · total / n⌋.
        var total = grids.Sum(g => (long)g.Grid.Tiles.Count);
        var take = (int)Math.Min(count, total);
        var picks = Enumerable.Range(0, take).Select(k => k * total / take).ToList();
        var plan = new List<(string, TileGrid, int[])>();
        long first = 0;
        var next = 0;
        foreach (var (path, grid) in grids)
        {
            var chosen = new List<int>();
            while (next < picks.Count && picks[next] < first + grid.Tiles.Count)
            {
                chosen.Add((int)(picks[next++] - first));
            }

            if (chosen.Count > 0)
            {
                plan.Add((path, grid, [.. chosen]));
            }

            first += grid.Tiles.Count;
        }

        return new CalibrationTiles(plan, card.ToInputSpec());
    }

    /// <summary>The tiles, an image decoded at a time.</summary>
    /// <exception cref="ImageRejectedException">An image cannot be decoded or does not fit the model's input.</exception>
    public IEnumerable<CalibrationTile> Read()
    {
        foreach (var (path, grid, chosen) in _plan)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (IOException e)
            {
                throw new ImageRejectedException(path, $"cannot be read ({e.Message})", e);
            }

            var image = _decoder.Decode(path, bytes, _spec);
            foreach (var index in chosen)
            {
                var data = new float[image.Channels * grid.WindowHeight * grid.WindowWidth];
                grid.CopyTile(image, grid.Tiles[index], data);
                yield return new CalibrationTile(path, image.Channels, grid.WindowHeight, grid.WindowWidth, data);
            }
        }
    }
}
