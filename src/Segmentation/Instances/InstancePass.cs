using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Objects;

namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>What an image's instance pass found: its objects, and the file name its label image takes.</summary>
/// <param name="AreasByLabel">Object areas grouped by mask value, as <see cref="ConnectedComponents.AreasByLabel()"/> gives them, specks left out.</param>
/// <param name="Scores">How the objects match the ground truth's, when it holds instance labels; null otherwise.</param>
public sealed record InstanceResult(int Objects, string LabelFile, List<int>[] AreasByLabel, InstanceScores? Scores);

/// <summary>Where an image's object files go as they are made; a null stream skips that file. Left open.</summary>
/// <param name="Labels">The instance label image.</param>
/// <param name="Table">The image's part of the job's object table (Parquet).</param>
/// <param name="GeoJson">The QuPath FeatureCollection.</param>
public sealed record ObjectStreams(Stream? Labels, Stream? Table, Stream? GeoJson);

/// <summary>An image's object files, made in memory: what was found, and each file asked for.</summary>
public sealed record ObjectFiles(InstanceResult Found, byte[]? Labels, byte[]? Table, byte[]? GeoJson);

/// <summary>
/// An image's objects, made as its mask and probability rows stream past (the whole-image and band paths
/// both come through here, so both give the same bytes): the rows go through <see cref="InstanceLabeller"/>,
/// its label rows to a <see cref="LabelImageWriter"/>, and each object, with the input's samples under it,
/// to the image's object files.
/// </summary>
public sealed class InstancePass : IInstanceSink, IDisposable
{
    private readonly string _name;
    private readonly int _classes;
    private readonly MaskFormat _format;
    private readonly InstanceLabeller _labeller;
    private readonly LabelImageWriter? _labels;
    private readonly ObjectStreams _outputs;
    private readonly StreamedImage? _input;
    private readonly float[] _samples;
    private readonly PhysicalPixelSize? _pixelSize;
    private readonly ObjectParquetWriter? _table;
    private readonly GeoJsonObjectWriter? _geoJson;
    private readonly GroundTruthRows? _truth;
    private readonly InstanceScorer _scorer = new();
    private readonly int[] _truthRow;
    private int _written;
    private readonly List<int>[] _areas = [.. Enumerable.Range(0, 256).Select(_ => new List<int>())];
    private int _row;

    /// <param name="name">The image's name (a plane's with its plane), for file names.</param>
    /// <param name="classes">The model's outputs (K).</param>
    /// <param name="settings">How touching nuclei are told apart.</param>
    /// <param name="format">The job's mask format, which the label image follows.</param>
    /// <param name="pixelSize">The input's pixel size, or null when it has none.</param>
    /// <param name="input">The image itself, read alongside for each object's intensities; null for none. The pass disposes it.</param>
    /// <param name="outputs">Where the files go.</param>
    /// <param name="truth">Instance labels to score the objects against, read alongside; null for none. The pass disposes it.</param>
    public InstancePass(string name, int width, int height, int classes, InstanceSettings settings, MaskFormat format, PhysicalPixelSize? pixelSize, StreamedImage? input, ObjectStreams outputs, GroundTruthRows? truth = null)
    {
        if (truth is not null && (truth.Width != width || truth.Height != height))
        {
            truth.Dispose();
            input?.Dispose();
            throw new InvalidDataException($"{name}: its instance labels are {truth.Width}×{truth.Height} but the image is {width}×{height}.");
        }

        _truth = truth;
        _truthRow = new int[truth is null ? 0 : width];
        if (input is not null && (input.Width != width || input.Height != height))
        {
            input.Dispose();
            throw new InvalidDataException($"{name}: the image is {input.Width}×{input.Height} but its mask is {width}×{height}.");
        }

        (_name, _classes, _format, _input, _outputs, _pixelSize) = (name, classes, format, input, outputs, pixelSize);
        var channels = input?.Info.ColorBands ?? 0;
        if (outputs.Table is not null || outputs.GeoJson is not null)
        {
            var columns = new ObjectTableColumns(ChannelNames(input ?? throw new ArgumentException("Measured objects need the image.", nameof(input))));

            // Parquet.Net is asynchronous; it writes only when a row group fills, on a pool thread with nothing to deadlock on.
            _table = outputs.Table is null ? null : ObjectParquetWriter.CreateAsync(outputs.Table, columns).GetAwaiter().GetResult();
            _geoJson = outputs.GeoJson is null ? null : new GeoJsonObjectWriter(outputs.GeoJson, name, columns);
        }

        _samples = new float[channels * width];
        _labels = outputs.Labels is null ? null : new LabelImageWriter(format, width, height, pixelSize);
        _labeller = new InstanceLabeller(width, height, classes, channels, settings, this);
    }

    /// <summary>Adds the mask's next row and its 16-bit probabilities.</summary>
    public void AddRow(ReadOnlySpan<byte> mask, ReadOnlySpan<ushort> probability)
    {
        _input?.ReadSampleRows(_row, 1, _samples);
        _labeller.AddRow(mask, probability, _samples);
        _row++;
    }

    /// <summary>Ends the files once every row is in.</summary>
    public InstanceResult Finish()
    {
        _labeller.Finish();
        _labels?.Finish(_outputs.Labels!);
        _table?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _geoJson?.Complete();
        return new InstanceResult(_labeller.Objects, LabelImageWriter.FileName(_name, _format, _labeller.Objects), _areas, _truth is null ? null : _scorer.Score());
    }

    void IInstanceSink.Add(ImageObject image)
    {
        var area = image.Pixels.Count(inside => inside);
        _areas[_classes == 1 ? SegmentationMask.BinaryForeground : image.ClassIndex].Add(area);
        if (_table is null && _geoJson is null)
        {
            return;
        }

        var measurements = ObjectMeasurer.Measure(image, _pixelSize);
        var className = ClassName(image.ClassIndex);
        _table?.WriteAsync(new ObjectRow(_name, image.Id, image.ClassIndex, className, measurements)).GetAwaiter().GetResult();
        _geoJson?.Write(image, className, measurements);
    }

    /// <summary>What QuPath and the table call a class: models carry no names for theirs.</summary>
    public static string ClassName(int classIndex) => FormattableString.Invariant($"class {classIndex}");

    /// <summary>The input's channels as the table's intensity columns name them: an OME name where the file gives one, else the 0-based number.</summary>
    private static string[] ChannelNames(StreamedImage input)
    {
        var numbers = Enumerable.Range(0, input.Info.ColorBands).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var names = input.Info.ChannelNames.Take(numbers.Length).OfType<string>().ToArray();
        return names.Length == numbers.Length && names.All(n => n.Length > 0 && IsColumnSafe(n)) && names.Distinct(StringComparer.Ordinal).Count() == names.Length
            ? names
            : numbers;
    }

    /// <summary>Whether a channel name can stand in a column name as it is; others (spaces, punctuation) fall back to the number.</summary>
    private static bool IsColumnSafe(string name) => name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    void IInstanceSink.WriteRow(ReadOnlySpan<int> ids)
    {
        _labels?.WriteRow(ids);
        if (_truth is not null)
        {
            _truth.Read(_written, _truthRow);
            _scorer.AddRow(ids, _truthRow);
        }

        _written++;
    }

    public void Dispose()
    {
        _labels?.Dispose();
        _geoJson?.Dispose();
        _input?.Dispose();
        _truth?.Dispose();
    }
}
