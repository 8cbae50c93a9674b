namespace UNetPP.Cluster.Storage;

/// <summary>
/// A flat namespace of named byte objects under one location: a local folder or a blob container prefix.
/// Names are relative to the location and use '/' between folders. This is the only abstraction the
/// cluster needs over storage; keep it this small so a new backend is one class.
/// </summary>
public interface IObjectStore
{
    /// <summary>
    /// Every object whose name starts with <paramref name="prefix"/> (empty for all), in ordinal
    /// name order, fetched page by page so a dataset of millions of images never sits in one response.
    /// A location that does not exist yet lists nothing.
    /// </summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>The whole object; <see cref="StorageObjectNotFoundException"/> when it is missing.</summary>
    Task<byte[]> ReadAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// The object as a seekable stream that fetches as it is read, so a very large object is never
    /// held whole; <see cref="StorageObjectNotFoundException"/> when it is missing.
    /// </summary>
    Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or replaces the object all at once: a reader sees either the old content or the new,
    /// never a part, and a cancelled or failed write leaves nothing new behind.
    /// </summary>
    Task WriteAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="WriteAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/>, from a stream read to
    /// its end: an object too large to hold is sent as it is read, and still appears whole or not at all.
    /// </summary>
    Task WriteAsync(string name, Stream content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the object only if there is none by that name, atomically: of two callers racing for one
    /// name exactly one gets true. False when the object already exists (it is left as it was).
    /// </summary>
    Task<bool> CreateAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default);

    /// <summary>Removes the object; deleting one that is not there is not an error (so cleanup can run twice).</summary>
    Task DeleteAsync(string name, CancellationToken cancellationToken = default);
}
