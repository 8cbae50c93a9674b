namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>A mask or probability file written one row at a time, top to bottom, so an image of any height needs the memory of a few rows.</summary>
public interface IRowWriter : IDisposable
{
    /// <summary>Appends the next row of 8-bit samples.</summary>
    void WriteRow(ReadOnlySpan<byte> row);

    /// <summary>Appends the next row of 16-bit samples.</summary>
    void WriteRow(ReadOnlySpan<ushort> row);

    /// <summary>Ends the file; every row must have been written.</summary>
    void Finish();
}
