using System.Runtime.CompilerServices;

namespace UNetPP.Cluster.Storage;

/// <summary>
/// Objects as files under one root folder; a name's '/' segments become sub-folders.
/// Writes go to a temporary file in the target folder and are renamed into place, which is atomic
/// within one file system, so a reader never sees half a mask.
/// </summary>
/// <remarks>
/// Segmentation keeps its own small AtomicFile; it could use this store instead once it depends on Storage.
/// </remarks>
public sealed class LocalObjectStore : IObjectStore
{
    // Marks in-flight writes so listings skip them and a crashed writer's leftovers are recognisable.
    internal const string TemporarySuffix = ".unetpp-tmp";

    public LocalObjectStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The absolute root folder.</summary>
    public string Root { get; }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectNames.ValidatePrefix(prefix);

        // Start at the deepest folder the prefix names, so listing "masks/" does not walk the inputs.
        var folderPart = prefix.LastIndexOf('/') is var slash and >= 0 ? prefix[..slash] : string.Empty;
        var start = folderPart.Length == 0 ? Root : Path.Combine(Root, folderPart);
        if (!Directory.Exists(start))
        {
            yield break;
        }

        // A folder listing has no order of its own; sorting the relative names gives every caller the same order.
        var found = new List<StoredObject>();
        foreach (var file in FilesUnder(new DirectoryInfo(start), prefix[(folderPart.Length == 0 ? 0 : folderPart.Length + 1)..]))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.Name.EndsWith(TemporarySuffix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = Path.GetRelativePath(Root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                found.Add(new StoredObject(name, file.Length));
            }
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var item in found)
        {
            yield return item;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// The files under <paramref name="folder"/> whose path there starts with <paramref name="start"/>. Only
    /// the entries of the top folder that start so are walked: finding one image's label by its stem
    /// must not walk a folder of thousands.
    /// </summary>
    private static IEnumerable<FileInfo> FilesUnder(DirectoryInfo folder, string start)
    {
        var recurse = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 };
        if (start.Length == 0 || start.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            return folder.EnumerateFiles("*", recurse);
        }

        var top = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0, MatchCasing = MatchCasing.CaseSensitive };
        return folder.EnumerateFileSystemInfos(start + "*", top).SelectMany(entry => entry switch
        {
            DirectoryInfo sub => sub.EnumerateFiles("*", recurse),
            FileInfo file => [file],
            _ => [],
        });
    }

    public async Task<byte[]> ReadAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StorageObjectNotFoundException(name, Root, e);
        }
    }

    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StorageObjectNotFoundException(name, Root, e);
        }
    }

    public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(PathOf(name)));

    public Task WriteAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        WriteAtomicallyAsync(name, (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), cancellationToken);

    public Task WriteAsync(string name, Stream content, CancellationToken cancellationToken = default) =>
        WriteAtomicallyAsync(name, (stream, ct) => content.CopyToAsync(stream, ct), cancellationToken);

    public async Task<bool> CreateAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        try
        {
            await WriteAtomicallyAsync(name, (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), cancellationToken, replace: false).ConfigureAwait(false);
            return true;
        }
        catch (IOException) when (File.Exists(PathOf(name)))
        {
            return false;
        }
    }

    private async Task WriteAtomicallyAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken, bool replace = true)
    {
        var path = PathOf(name);
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);

        // Same folder as the target: a rename across file systems would be a copy, and not atomic.
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

                // Flush to disk before the rename, or a power cut could leave a renamed but empty file.
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();

            if (replace)
            {
                File.Move(temporary, path, overwrite: true);
                return;
            }

            // A link that may not replace is the atomic create-if-absent: of racing creators one wins.
            HardLink.Create(temporary, path);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        File.Delete(temporary);
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        // File.Delete is already a no-op for a missing file; a missing folder must be too.
        var path = PathOf(name);
        var folder = Path.GetDirectoryName(path)!;
        if (Directory.Exists(folder))
        {
            File.Delete(path);
            RemoveEmptyFolders(folder);
        }

        return Task.CompletedTask;
    }

    public override string ToString() => Root;

    /// <summary>
    /// Folders exist here only to hold objects, as prefixes do in blob storage: one left empty by a
    /// delete goes too, up to (not including) the root. A folder another writer has just filled stays.
    /// </summary>
    private void RemoveEmptyFolders(string folder)
    {
        var root = Root.TrimEnd(Path.DirectorySeparatorChar);
        while (folder.Length > root.Length && folder.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    return;
                }

                Directory.Delete(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return;
            }

            folder = Path.GetDirectoryName(folder)!;
        }
    }

    /// <summary>The file for a name, refusing any name that would land outside <see cref="Root"/>.</summary>
    private string PathOf(string name)
    {
        ObjectNames.Validate(name);
        var path = Path.GetFullPath(Path.Combine(Root, name));

        // Belt and braces after the name rules: the resolved path must still be under the root.
        if (!path.StartsWith(Root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Object name '{name}' is refused: it resolves outside {Root}.", nameof(name));
        }

        return path;
    }
}
