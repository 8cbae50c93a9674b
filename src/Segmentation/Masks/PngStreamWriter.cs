using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>The pixel layouts masks, probability maps and overlays are written in.</summary>
public enum PngPixels
{
    /// <summary>8-bit gray: mask labels.</summary>
    Gray8,

    /// <summary>16-bit gray: probability maps.</summary>
    Gray16,

    /// <summary>8-bit RGB: overlays.</summary>
    Rgb8,
}

/// <summary>
/// Writes a PNG one row at a time, so an image of any height is encoded with the memory of a row: a
/// mask can be written as its rows are finished, and a stitched image as its parts are read. Every
/// row is "Up"-filtered (the difference from the row above) and deflated; the same rows always give
/// the same bytes, which is what makes a mask stitched from bands identical to a one-machine one.
/// </summary>
public sealed class PngStreamWriter : IRowWriter
{
    // Large IDAT chunks keep the per-chunk overhead negligible; a reader does not care about their size.
    private const int ChunkBytes = 1 << 20;

    // A chunk's buffer starts this small and doubles up to ChunkBytes as deflated bytes arrive: a small
    // mask (most of them) then never takes a megabyte from the large-object heap, which only a full
    // garbage collection gives back. The chunks' boundaries, and so the file's bytes, do not change.
    private const int FirstChunkBuffer = 16 * 1024;

    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly Stream _output;
    private readonly IdatStream _idat;
    private readonly ZLibStream _deflate;
    private readonly byte[] _previous;
    private readonly byte[] _filtered;
    private int _rows;
    private bool _finished;

    /// <param name="output">Where the PNG goes; left open.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height: exactly this many rows must be written before <see cref="Finish"/>.</param>
    /// <param name="pixels">The rows' layout.</param>
    /// <param name="level">Deflate effort: masks compress to little at any level, noisy maps cost time at the higher ones.</param>
    public PngStreamWriter(Stream output, int width, int height, PngPixels pixels, CompressionLevel level)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        _output = output;
        Width = width;
        Height = height;
        Pixels = pixels;
        RowBytes = checked(width * BytesPerPixel(pixels));
        _previous = new byte[RowBytes];
        _filtered = new byte[RowBytes + 1];

        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = pixels == PngPixels.Gray16 ? (byte)16 : (byte)8;
        header[9] = pixels == PngPixels.Rgb8 ? (byte)2 : (byte)0; // colour type: truecolour or gray
        // Compression, filter method and interlace are all 0: deflate, adaptive filtering, none.
        WriteChunk(output, "IHDR", header);
        _idat = new IdatStream(output);
        _deflate = new ZLibStream(_idat, level, leaveOpen: true);
    }

    public int Width { get; }
    public int Height { get; }
    public PngPixels Pixels { get; }

    /// <summary>Bytes in one row as <see cref="WriteRow"/> takes it (16-bit samples big-endian, as PNG stores them).</summary>
    public int RowBytes { get; }

    /// <summary>Appends the next row, laid out as <see cref="RowBytes"/> bytes.</summary>
    public void WriteRow(ReadOnlySpan<byte> row)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ArgumentOutOfRangeException.ThrowIfNotEqual(row.Length, RowBytes, nameof(row));
        if (_rows == Height)
        {
            throw new InvalidOperationException($"All {Height} rows have been written.");
        }

        _filtered[0] = 2; // Up
        for (var i = 0; i < row.Length; i++)
        {
            _filtered[i + 1] = (byte)(row[i] - _previous[i]);
        }

        row.CopyTo(_previous);
        _deflate.Write(_filtered);
        _rows++;
    }

    /// <summary>Appends the next row of 16-bit samples, converting them to PNG's big-endian order.</summary>
    public void WriteRow(ReadOnlySpan<ushort> row)
    {
        if (Pixels != PngPixels.Gray16)
        {
            throw new InvalidOperationException("16-bit rows are for 16-bit images.");
        }

        ArgumentOutOfRangeException.ThrowIfNotEqual(row.Length * 2, RowBytes, nameof(row));
        Span<byte> bytes = RowBytes <= 64 * 1024 ? stackalloc byte[RowBytes] : new byte[RowBytes];
        for (var i = 0; i < row.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes[(i * 2)..], row[i]);
        }

        WriteRow(bytes);
    }

    /// <summary>Ends the image; every row must have been written.</summary>
    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_rows != Height)
        {
            throw new InvalidOperationException($"{_rows} of {Height} rows were written.");
        }

        _finished = true;
        _deflate.Dispose();
        _idat.Flush();
        WriteChunk(_output, "IEND", []);
    }

    public void Dispose()
    {
        if (!_finished)
        {
            _finished = true;
            _deflate.Dispose();
        }
    }

    private static int BytesPerPixel(PngPixels pixels) => pixels switch
    {
        PngPixels.Gray8 => 1,
        PngPixels.Gray16 => 2,
        _ => 3,
    };

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> field = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(field, data.Length);
        output.Write(field);
        var crc = new Crc32();
        Span<byte> name = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, name);
        output.Write(name);
        output.Write(data);
        crc.Append(name);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(field, crc.GetCurrentHashAsUInt32());
        output.Write(field);
    }

    /// <summary>Cuts the deflate stream into IDAT chunks as it comes.</summary>
    private sealed class IdatStream(Stream output) : Stream
    {
        private byte[] _chunk = new byte[FirstChunkBuffer];
        private int _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                if (_length == _chunk.Length)
                {
                    Array.Resize(ref _chunk, Math.Min(ChunkBytes, _chunk.Length * 2));
                }

                var take = Math.Min(buffer.Length, _chunk.Length - _length);
                buffer[..take].CopyTo(_chunk.AsSpan(_length));
                _length += take;
                buffer = buffer[take..];
                if (_length == ChunkBytes)
                {
                    Flush();
                }
            }
        }

        /// <summary>Writes what has been gathered as one chunk; the deflater flushing mid-stream adds none.</summary>
        public override void Flush()
        {
            if (_length > 0)
            {
                WriteChunk(output, "IDAT", _chunk.AsSpan(0, _length));
                _length = 0;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
