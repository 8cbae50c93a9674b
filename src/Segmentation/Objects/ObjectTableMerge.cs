using Parquet;
using Parquet.Schema;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// Joins the per-image object tables of a job into one CSV and one Parquet table, reading one row group at a
/// time so the job-wide tables cost no more memory than one row group, however many images there were.
/// </summary>
public static class ObjectTableMerge
{
    /// <summary>
    /// Appends the rows of each Parquet part, in order, to <paramref name="csv"/> and to a Parquet table on
    /// <paramref name="parquet"/> (which must allow seeking). Each part was written by
    /// <see cref="ObjectParquetWriter"/>; images of a job may have different channels, so the job's table has
    /// the intensity columns of every channel any part has, in the order first met, empty where an image has
    /// not that channel. A part without rows adds nothing; with no rows at all both tables are valid and empty.
    /// </summary>
    /// <param name="parts">The parts' names, for <paramref name="open"/> and messages.</param>
    /// <param name="open">Opens a part as a seekable stream; the merge disposes it.</param>
    public static async Task MergeAsync(
        IReadOnlyList<string> parts, Func<string, CancellationToken, Task<Stream>> open, Stream csv, Stream parquet, CancellationToken cancellationToken = default)
    {
        // A first pass over the parts' footers only, for the channels the job's columns need.
        var channels = new List<string>();
        foreach (var part in parts)
        {
            await using var stream = await open(part, cancellationToken);
            await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
            channels.AddRange(ObjectTableColumns.ChannelsOf(reader.Schema.DataFields.Select(f => f.Name)).Except(channels, StringComparer.Ordinal));
        }

        var columns = new ObjectTableColumns(channels);
        using var csvWriter = new ObjectCsvWriter(csv, columns);
        await using var parquetWriter = await ObjectParquetWriter.CreateAsync(parquet, columns, cancellationToken: cancellationToken);
        foreach (var part in parts)
        {
            await using var stream = await open(part, cancellationToken);
            await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
            var fields = reader.Schema.DataFields.ToDictionary(field => field.Name, StringComparer.Ordinal);
            var missing = columns.Columns.Where(c => !c.IsIntensity && !fields.ContainsKey(c.Name)).Select(c => c.Name).ToList();
            if (missing.Count > 0 || fields.Keys.Except(columns.Names, StringComparer.Ordinal).Any())
            {
                throw new InvalidDataException(
                    $"The object table {part} has other columns than this job's ({string.Join(", ", columns.Names)}), so it cannot be joined to them.");
            }

            for (var group = 0; group < reader.RowGroupCount; group++)
            {
                using var rowGroup = reader.OpenRowGroupReader(group);
                var rows = checked((int)rowGroup.RowCount);
                var values = new object?[columns.Columns.Count][];
                for (var c = 0; c < values.Length; c++)
                {
                    var column = columns.Columns[c];
                    values[c] = fields.TryGetValue(column.Name, out var field)
                        ? await ReadColumnAsync(rowGroup, field, column.Kind, rows, cancellationToken)
                        : new object?[rows];
                }

                var cells = new object?[values.Length];
                for (var row = 0; row < rows; row++)
                {
                    for (var c = 0; c < cells.Length; c++)
                    {
                        cells[c] = values[c][row];
                    }

                    csvWriter.WriteCells(cells);
                    await parquetWriter.WriteCellsAsync(cells, cancellationToken);
                }
            }
        }
    }

    private static async Task<object?[]> ReadColumnAsync(
        ParquetRowGroupReader rowGroup, DataField field, ColumnKind kind, int rows, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case ColumnKind.Text:
                var text = new string?[rows];
                await rowGroup.ReadAsync(field, text.AsMemory(), cancellationToken: cancellationToken);
                return text;
            case ColumnKind.Integer:
                var integers = new int[rows];
                await rowGroup.ReadAsync<int>(field, integers.AsMemory(), cancellationToken: cancellationToken);
                return [.. integers.Select(value => (object?)value)];
            case ColumnKind.Number:
                var numbers = new double[rows];
                await rowGroup.ReadAsync<double>(field, numbers.AsMemory(), cancellationToken: cancellationToken);
                return [.. numbers.Select(value => (object?)value)];
            default:
                var optional = new double?[rows];
                await rowGroup.ReadAsync<double>(field, optional.AsMemory(), cancellationToken: cancellationToken);
                return [.. optional.Select(value => (object?)value)];
        }
    }
}
