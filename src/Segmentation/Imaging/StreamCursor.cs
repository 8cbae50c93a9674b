namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// One reader's own place in a seekable stream that several readers share: each read goes to that place
/// under a lock on the shared stream, so libvips may read several pages of one file, even from several
/// threads, without one moving the others. Does not own the stream.
/// </summary>
internal sealed class StreamCursor(Stream shared) : Stream
{
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => shared.Length;

    public override long Position
    {
        get => _position;
        set => _position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        lock (shared)
        {
            shared.Position = _position;
            var read = shared.Read(buffer);
            _position += read;
            return read;
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
