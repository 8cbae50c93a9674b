using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace UNetPP.Cluster.Storage;

/// <summary>
/// Objects as block blobs under a prefix of one container. Retries, timeouts and authentication are the
/// SDK's, configured on the <see cref="BlobContainerClient"/> (see <see cref="ObjectStoreFactory"/>).
/// </summary>
public sealed class BlobObjectStore : IObjectStore
{
    /// <summary>The service's own maximum page size; smaller hints are for tests and slow links.</summary>
    public const int MaxPageSize = 5000;

    // Large enough that a band of a big image is fetched in few requests, small enough to hold per reader.
    private const int ReadBufferBytes = 4 << 20;

    // Below InitialTransferSize one Put Blob; above it, blocks staged in parallel and made visible by one
    // Put Block List. Either way readers see the old blob or the whole new one, never a part.
    private static readonly StorageTransferOptions DefaultTransfer = new()
    {
        InitialTransferSize = 32 * 1024 * 1024,
        MaximumTransferSize = 8 * 1024 * 1024,
        MaximumConcurrency = 4,
    };

    private readonly BlobContainerClient _container;
    private readonly int _pageSizeHint;
    private readonly StorageTransferOptions _transfer;
    private readonly string _description;

    public BlobObjectStore(BlobContainerClient container, string prefix = "", int pageSizeHint = MaxPageSize, StorageTransferOptions? transfer = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSizeHint, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSizeHint, MaxPageSize);
        ArgumentNullException.ThrowIfNull(prefix);
        var trimmed = prefix.Trim('/');
        if (trimmed.Length > 0)
        {
            ObjectNames.Validate(trimmed);
        }

        _container = container;
        Prefix = trimmed.Length == 0 ? string.Empty : trimmed + "/";
        _pageSizeHint = pageSizeHint;
        _transfer = transfer ?? DefaultTransfer;

        // The container URL can carry a SAS; messages and logs must not.
        var uri = new UriBuilder(container.Uri) { Query = string.Empty }.Uri.ToString().TrimEnd('/');
        _description = $"{uri}/{Prefix}";
    }

    /// <summary>The blob name prefix: empty, or ending in one '/'.</summary>
    public string Prefix { get; }

    /// <summary>How the client authenticates, for start-up logs (never the secret itself).</summary>
    public string Authentication { get; init; } = "as configured by the caller";

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectNames.ValidatePrefix(prefix);
        var options = new GetBlobsOptions { Prefix = Prefix + prefix };
        var pages = _container.GetBlobsAsync(options, cancellationToken).AsPages(pageSizeHint: _pageSizeHint);
        var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        await using (enumerator.ConfigureAwait(false))
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
                {
                    // An output container that was never written to is an empty listing, like a missing folder.
                    yield break;
                }
                catch (Exception e) when (Answer(e) is not null)
                {
                    throw Failure("Listing", prefix, e);
                }

                if (!more)
                {
                    yield break;
                }

                // The service returns names in ascending order, page after page; we keep that order.
                foreach (var blob in enumerator.Current.Values)
                {
                    var name = blob.Name[Prefix.Length..];
                    if (name.Length > 0)
                    {
                        yield return new StoredObject(name, blob.Properties.ContentLength ?? 0);
                    }
                }
            }
        }
    }

    public async Task<byte[]> ReadAsync(string name, CancellationToken cancellationToken = default)
    {
        var blob = BlobOf(name);
        try
        {
            var result = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return result.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new StorageObjectNotFoundException(name, _description, e);
        }
        catch (Exception e) when (Answer(e) is not null)
        {
            throw Failure("Reading", name, e);
        }
    }

    public async Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default)
    {
        var blob = BlobOf(name);
        try
        {
            // Pinned to the version opened: a blob replaced while it is read fails the read instead of mixing two versions.
            var options = new BlobOpenReadOptions(allowModifications: false) { BufferSize = ReadBufferBytes };
            return await blob.OpenReadAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new StorageObjectNotFoundException(name, _description, e);
        }
        catch (Exception e) when (Answer(e) is not null)
        {
            throw Failure("Reading", name, e);
        }
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        var blob = BlobOf(name);
        try
        {
            return (await blob.ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (Exception e) when (Answer(e) is not null)
        {
            throw Failure("Checking", name, e);
        }
    }

    public Task WriteAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        UploadAsync(name, (blob, options, ct) => blob.UploadAsync(BinaryData.FromBytes(bytes), options, ct), () => true, cancellationToken);

    public async Task<bool> CreateAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        try
        {
            await UploadAsync(name, (blob, options, ct) =>
            {
                // If-None-Match: * makes the service refuse the upload when the blob exists, atomically.
                options.Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
                return blob.UploadAsync(BinaryData.FromBytes(bytes), options, ct);
            }, () => true, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException e) when (e.InnerException is RequestFailedException { Status: 409 or 412 })
        {
            return false;
        }
    }

    /// <remarks>
    /// The blob service commits the blocks of one upload all at once, so a reader never sees part of
    /// the stream. Only a seekable stream can be started over after a missing container is created.
    /// </remarks>
    public Task WriteAsync(string name, Stream content, CancellationToken cancellationToken = default)
    {
        var start = content.CanSeek ? content.Position : -1;
        return UploadAsync(name, (blob, options, ct) => blob.UploadAsync(content, options, ct), Rewind, cancellationToken);

        bool Rewind()
        {
            if (start >= 0)
            {
                content.Position = start;
            }

            return start >= 0;
        }
    }

    /// <param name="name">The object.</param>
    /// <param name="upload">Sends the content once.</param>
    /// <param name="rewind">Makes the content ready to be sent again; false when it cannot be.</param>
    /// <param name="cancellationToken">Cancels the upload; nothing new is then committed.</param>
    private async Task UploadAsync(
        string name, Func<BlobClient, BlobUploadOptions, CancellationToken, Task> upload, Func<bool> rewind, CancellationToken cancellationToken)
    {
        var blob = BlobOf(name);
        var options = new BlobUploadOptions { TransferOptions = _transfer };
        try
        {
            try
            {
                await upload(blob, options, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound && rewind())
            {
                // Creating the container only when a write finds it missing saves a request on every other write.
                await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                await upload(blob, options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (Answer(e) is not null)
        {
            throw Failure("Writing", name, e);
        }
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        var blob = BlobOf(name);
        try
        {
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // Nothing to delete where there is no container.
        }
        catch (Exception e) when (Answer(e) is not null)
        {
            throw Failure("Deleting", name, e);
        }
    }

    public override string ToString() => _description;

    private BlobClient BlobOf(string name)
    {
        // The same name rules as local folders: a '..' in a URL would be collapsed and reach another blob.
        ObjectNames.Validate(name);
        return _container.GetBlobClient(Prefix + name);
    }

    /// <summary>What the storage service said: its one answer, or the last of the SDK's tries once its retries are spent.</summary>
    private static RequestFailedException? Answer(Exception e) => e switch
    {
        RequestFailedException answer => answer,
        AggregateException { InnerExceptions: [.., RequestFailedException last] } => last,
        _ => null,
    };

    /// <summary>The failure in the user's words, naming the object and the location; <paramref name="e"/> stays inside for <see cref="StorageFaults"/>.</summary>
    private Exception Failure(string verb, string name, Exception e)
    {
        var answer = Answer(e)!;
        // A listing of the whole location has no name of its own.
        var what = name.Length == 0 ? $"{verb} {_description}" : $"{verb} '{name}' in {_description}";
        var tries = e is AggregateException all ? $" in {all.InnerExceptions.Count} tries" : "";
        return answer.Status switch
        {
            403 => new UnauthorizedAccessException($"{what} was refused ({answer.ErrorCode}): the credential ({Authentication}) does not allow it.", e),
            // No HTTP answer at all: what the connection said is the reason, not a status of 0.
            0 => new IOException($"{what} failed: the storage service did not answer{tries} ({answer.GetBaseException().Message.TrimEnd('.')}).", e),
            _ => new IOException($"{what} failed{tries}: HTTP {answer.Status} {answer.ErrorCode}.", e),
        };
    }

}
