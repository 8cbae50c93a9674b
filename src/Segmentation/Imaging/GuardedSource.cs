namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// A seekable stream as libvips reads it, remembering the first failure of a read from it. libvips
/// turns any read error into its own "truncated" error, which would call a sound image on an
/// unreachable store corrupt; with this the decoder reports the storage failure for what it is.
/// Does not own the stream it reads.
/// </summary>
internal sealed class GuardedSource(Stream inner) : Stream
{
    /// <summary>What the stream threw, if it threw.</summary>
    public Exception? Failure { get; private set; }

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    // Seeks move no data: one that fails is a damaged file pointing outside itself, not the store.
    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    /// <summary>The exception for a libvips error: the stream's own failure when it had one, else a refusal of the image as damaged.</summary>
    public Exception Explain(string name, NetVips.VipsException error) =>
        Failure is { } failure
            ? new IOException($"Reading {name} failed: {failure.Message}", failure)
            : ImageDecoder.Corrupt(name, error);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return inner.Read(buffer);
        }
        catch (Exception ex)
        {
            Failure ??= ex;
            throw;
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
