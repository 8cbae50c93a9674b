using System.Globalization;
using System.Text;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// Writes the object table as CSV, row by row as objects come, so a table of any length takes no more memory
/// than one row: RFC 4180 (a header row, CRLF line ends, fields quoted when they hold a comma, a quote or a
/// line break), UTF-8 without a byte-order mark, numbers in the invariant culture so every locale reads them.
/// An absent micrometre value is an empty field.
/// </summary>
public sealed class ObjectCsvWriter : IDisposable
{
    private static readonly char[] NeedsQuotes = [',', '"', '\r', '\n'];

    private readonly ObjectTableColumns _columns;
    private readonly StreamWriter _writer;

    /// <summary>Starts the table on <paramref name="output"/> with its header row; the stream stays open.</summary>
    public ObjectCsvWriter(Stream output, ObjectTableColumns columns)
    {
        _columns = columns;
        _writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true) { NewLine = "\r\n" };
        WriteCells(columns.Names);
    }

    /// <summary>Writes one object's row.</summary>
    public void Write(ObjectRow row) => WriteCells(_columns.Cells(row));

    /// <summary>Writes one row of values in column order, as <see cref="ObjectTableColumns"/> gives them.</summary>
    internal void WriteCells(IReadOnlyList<object?> cells)
    {
        for (var c = 0; c < cells.Count; c++)
        {
            if (c > 0)
            {
                _writer.Write(',');
            }
            _writer.Write(Field(cells[c]));
        }
        _writer.WriteLine();
    }

    private static string Field(object? cell) => cell switch
    {
        null => "",
        string text when text.IndexOfAny(NeedsQuotes) >= 0 => $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"",
        string text => text,
        _ => ((IFormattable)cell).ToString(null, CultureInfo.InvariantCulture),
    };

    /// <summary>Flushes what is written; the stream stays open.</summary>
    public void Dispose() => _writer.Dispose();
}
