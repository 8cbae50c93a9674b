using Parquet.Schema;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// The columns of the object table, fixed by the input channels' names: what the CSV header, the Parquet
/// schema and the QuPath measurements share, so every output of a job names a number the same way. Names are
/// snake_case with their unit where they have one; the micrometre columns are always there, empty when an
/// image does not say its pixel size, so the tables of all images of a job line up.
/// </summary>
public sealed class ObjectTableColumns
{
    /// <summary>Sets up the columns for images with these input channels, e.g. "0", "1" or "DAPI".</summary>
    public ObjectTableColumns(IReadOnlyList<string> channelNames)
    {
        if (channelNames.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Every input channel needs a name for the object table's intensity columns.", nameof(channelNames));
        }
        if (channelNames.Distinct(StringComparer.Ordinal).Count() != channelNames.Count)
        {
            throw new ArgumentException(
                $"The input channels' names must differ to name the object table's intensity columns; they are {string.Join(", ", channelNames)}.",
                nameof(channelNames));
        }
        ChannelNames = [.. channelNames];
        List<ObjectColumn> columns =
        [
            new("image_name", ColumnKind.Text, false, row => row.ImageName),
            new("object_id", ColumnKind.Integer, false, row => row.ObjectId),
            new("class_index", ColumnKind.Integer, false, row => row.ClassIndex),
            new("class_name", ColumnKind.Text, false, row => row.ClassName),
            new("area_px", ColumnKind.Integer, true, row => row.Measurements.AreaPixels),
            new("area_um2", ColumnKind.OptionalNumber, true, row => row.Measurements.Physical?.AreaSquareMicrometres),
            new("centroid_x_px", ColumnKind.Number, true, row => row.Measurements.CentroidX),
            new("centroid_y_px", ColumnKind.Number, true, row => row.Measurements.CentroidY),
            new("centroid_x_um", ColumnKind.OptionalNumber, true, row => row.Measurements.Physical?.CentroidXMicrometres),
            new("centroid_y_um", ColumnKind.OptionalNumber, true, row => row.Measurements.Physical?.CentroidYMicrometres),
            new("bbox_x", ColumnKind.Integer, true, row => row.Measurements.Box.X),
            new("bbox_y", ColumnKind.Integer, true, row => row.Measurements.Box.Y),
            new("bbox_width", ColumnKind.Integer, true, row => row.Measurements.Box.Width),
            new("bbox_height", ColumnKind.Integer, true, row => row.Measurements.Box.Height),
            new("equivalent_diameter_px", ColumnKind.Number, true, row => row.Measurements.EquivalentDiameter),
            new("equivalent_diameter_um", ColumnKind.OptionalNumber, true, row => row.Measurements.Physical?.EquivalentDiameterMicrometres),
            new("perimeter_px", ColumnKind.Number, true, row => row.Measurements.Perimeter),
            new("perimeter_um", ColumnKind.OptionalNumber, true, row => row.Measurements.Physical?.PerimeterMicrometres),
            new("eccentricity", ColumnKind.Number, true, row => row.Measurements.Eccentricity),
            new("solidity", ColumnKind.Number, true, row => row.Measurements.Solidity),
            new("mean_probability", ColumnKind.Number, true, row => row.Measurements.MeanProbability),
        ];
        for (var c = 0; c < ChannelNames.Count; c++)
        {
            var channel = c;
            // Nullable: in a job's table, a row of an image without this channel has none.
            columns.Add(new($"{MeanIntensity}{ChannelNames[c]}", ColumnKind.OptionalNumber, true, row => row.Measurements.MeanIntensity[channel]));
            columns.Add(new($"{MaxIntensity}{ChannelNames[c]}", ColumnKind.OptionalNumber, true, row => row.Measurements.MaxIntensity[channel]));
        }
        Columns = columns;
        Names = [.. columns.Select(column => column.Name)];
        Schema = new ParquetSchema(columns.Select(column => column.Field));
    }

    internal const string MeanIntensity = "mean_intensity_";
    internal const string MaxIntensity = "max_intensity_";

    /// <summary>The channel names of a table with these columns, in column order: what its intensity columns are named after.</summary>
    public static IReadOnlyList<string> ChannelsOf(IEnumerable<string> columnNames) =>
        [.. columnNames.Where(name => name.StartsWith(MeanIntensity, StringComparison.Ordinal)).Select(name => name[MeanIntensity.Length..])];

    /// <summary>The input channels' names, in channel order.</summary>
    public IReadOnlyList<string> ChannelNames { get; }

    /// <summary>The column names, in table order.</summary>
    public IReadOnlyList<string> Names { get; }

    internal IReadOnlyList<ObjectColumn> Columns { get; }

    internal ParquetSchema Schema { get; }

    /// <summary>The row's values, one per column: a string, an int, a double, or null for an absent micrometre value.</summary>
    internal object?[] Cells(ObjectRow row)
    {
        if (row.Measurements.MeanIntensity.Count != ChannelNames.Count)
        {
            throw new ArgumentException(
                $"Object {row.ObjectId} of {row.ImageName} was measured on {row.Measurements.MeanIntensity.Count} channel(s), "
                + $"but the object table has columns for {ChannelNames.Count} ({string.Join(", ", ChannelNames)}).",
                nameof(row));
        }
        var cells = new object?[Columns.Count];
        for (var c = 0; c < cells.Length; c++)
        {
            cells[c] = Columns[c].Value(row);
        }
        return cells;
    }
}

/// <summary>What a column holds: how the CSV writes it and which Parquet type stores it.</summary>
internal enum ColumnKind
{
    Text,
    Integer,
    Number,
    OptionalNumber,
}

/// <summary>One column of the object table: its name, its kind, whether QuPath shows it as a measurement, and where its value comes from.</summary>
internal sealed record ObjectColumn(string Name, ColumnKind Kind, bool IsMeasurement, Func<ObjectRow, object?> Value)
{
    /// <summary>Whether the column is a channel's intensity, which an image without that channel lacks.</summary>
    public bool IsIntensity => Name.StartsWith(ObjectTableColumns.MeanIntensity, StringComparison.Ordinal) || Name.StartsWith(ObjectTableColumns.MaxIntensity, StringComparison.Ordinal);

    public DataField Field { get; } = Kind switch
    {
        ColumnKind.Text => new DataField<string>(Name, nullable: false),
        ColumnKind.Integer => new DataField<int>(Name),
        ColumnKind.Number => new DataField<double>(Name),
        _ => new DataField<double?>(Name),
    };
}
