using Parquet;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// Writes the object table as Parquet, the typed, compressed form that pandas, R and Spark read directly.
/// Rows are held only until a row group is full and then written out, so memory stays bounded by one row
/// group however many objects a job finds. The schema is fixed by <see cref="ObjectTableColumns"/>: text and
/// whole numbers are required, measurements are doubles, and the micrometre columns are nullable.
/// </summary>
public sealed class ObjectParquetWriter : IAsyncDisposable
{
    /// <summary>Rows per row group: large enough for fast column scans, small enough to hold a few megabytes.</summary>
    public const int DefaultRowGroupSize = 50_000;

    private readonly ObjectTableColumns _columns;
    private readonly ParquetWriter _writer;
    private readonly int _rowGroupSize;

    // Grown as rows come, not made a row group long at the start: most images have far fewer objects.
    private readonly List<object?>[] _buffered;
    private int _count;

    private ObjectParquetWriter(ObjectTableColumns columns, ParquetWriter writer, int rowGroupSize)
    {
        _columns = columns;
        _writer = writer;
        _rowGroupSize = rowGroupSize;
        _buffered = [.. columns.Columns.Select(_ => new List<object?>())];
    }

    /// <summary>
    /// Starts a table on <paramref name="output"/>, which must allow seeking (a file does); the stream stays
    /// open. Each <paramref name="rowGroupSize"/> rows become one row group.
    /// </summary>
    public static async Task<ObjectParquetWriter> CreateAsync(
        Stream output, ObjectTableColumns columns, int rowGroupSize = DefaultRowGroupSize, CancellationToken cancellationToken = default)
    {
        if (rowGroupSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rowGroupSize), rowGroupSize, "A Parquet row group must hold at least one row.");
        }
        var writer = await ParquetWriter.CreateAsync(columns.Schema, output, cancellationToken: cancellationToken);
        return new ObjectParquetWriter(columns, writer, rowGroupSize);
    }

    /// <summary>Adds one object's row, writing a row group when one is full.</summary>
    public Task WriteAsync(ObjectRow row, CancellationToken cancellationToken = default) =>
        WriteCellsAsync(_columns.Cells(row), cancellationToken);

    /// <summary>Adds one row of values in column order, as <see cref="ObjectTableColumns"/> gives them.</summary>
    internal async Task WriteCellsAsync(IReadOnlyList<object?> cells, CancellationToken cancellationToken)
    {
        for (var c = 0; c < _buffered.Length; c++)
        {
            _buffered[c].Add(cells[c]);
        }
        _count++;
        if (_count == _rowGroupSize)
        {
            await FlushAsync(cancellationToken);
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_count == 0)
        {
            return;
        }
        using var rowGroup = _writer.CreateRowGroup();
        for (var c = 0; c < _buffered.Length; c++)
        {
            var column = _columns.Columns[c];
            var values = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_buffered[c]);
            switch (column.Kind)
            {
                case ColumnKind.Text:
                    await rowGroup.WriteAsync(column.Field, Typed<string>(values));
                    break;
                case ColumnKind.Integer:
                    await rowGroup.WriteAsync<int>(column.Field, Typed<int>(values), cancellationToken: cancellationToken);
                    break;
                case ColumnKind.Number:
                    await rowGroup.WriteAsync<double>(column.Field, Typed<double>(values), cancellationToken: cancellationToken);
                    break;
                default:
                    await rowGroup.WriteAsync<double>(column.Field, Typed<double?>(values), cancellationToken: cancellationToken);
                    break;
            }
        }
        rowGroup.CompleteValidate();
        Array.ForEach(_buffered, column => column.Clear());
        _count = 0;
    }

    private static T[] Typed<T>(ReadOnlySpan<object?> values)
    {
        var typed = new T[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            typed[i] = (T)values[i]!;
        }
        return typed;
    }

    /// <summary>Writes the last, partly filled row group and the file's footer; the stream stays open.</summary>
    public async ValueTask DisposeAsync()
    {
        await FlushAsync(CancellationToken.None);
        await _writer.DisposeAsync();
    }
}
