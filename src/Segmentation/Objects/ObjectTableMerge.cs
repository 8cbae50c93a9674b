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
    /// Appends the rows of each Parquet part in <paramref name="parts"/>, in order, to <paramref name="csv"/>
    /// and to a Parquet table on <paramref name="parquet"/> (which must allow seeking). Each part must have been
    /// written by <see cref="ObjectParquetWriter"/> with <paramref name="columns"/>; a part without rows (an
    /// image without objects) adds nothing, and with no rows at all both tables are valid and empty.
    /// </summary>
    public static async Task MergeAsync(
        ObjectTableColumns columns, IEnumerable<string> parts, Stream csv, Stream parquet, CancellationToken cancellationToken = default)
    {
        using var csvWriter = new ObjectCsvWriter(csv, columns);
        await using var parquetWriter = await ObjectParquetWriter.CreateAsync(parquet, columns, cancellationToken: cancellationToken);
        foreach (var part in parts)
        {
            await using var reader = await ParquetReader.CreateAsync(part, cancellationToken: cancellationToken);
            var fields = reader.Schema.DataFields;
            if (!fields.Select(field => field.Name).SequenceEqual(columns.Names, StringComparer.Ordinal))
            {
                throw new InvalidDataException(
                    $"The object table {part} has other columns than this job's ({string.Join(", ", columns.Names)}), so it cannot be joined to them.");
            }
            for (var group = 0; group < reader.RowGroupCount; group++)
            {
                var rowGroup = reader.OpenRowGroupReader(group);
                var rows = checked((int)rowGroup.RowCount);
                var values = new object?[fields.Length][];
                for (var c = 0; c < fields.Length; c++)
                {
                    values[c] = await ReadColumnAsync(rowGroup, fields[c], columns.Columns[c].Kind, rows, cancellationToken);
                }
                var cells = new object?[fields.Length];
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
