using System.Collections.Concurrent;
using System.Text;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Storage;

/// <summary>
/// <see cref="IDatasetStorage"/> over the object stores. A location whose last part names an image
/// (<c>cells/a.png</c>, <c>az://c/plates/a.tif</c>) is one image, read from its folder; any other
/// location is a folder or prefix of images.
/// </summary>
public sealed class DatasetStorage(ObjectStoreFactory factory) : IDatasetStorage
{
    private readonly ConcurrentDictionary<string, IObjectStore> _stores = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<string>> ListImagesAsync(string input, CancellationToken cancellationToken)
    {
        var (root, single) = Split(input);
        if (single is not null)
        {
            return await Store(root).ExistsAsync(single, cancellationToken)
                ? [single]
                : throw new StorageObjectNotFoundException($"{StorageLocation.RedactSignature(input)}: no such image.");
        }

        var names = new List<string>();
        await foreach (var item in Store(input).ListAsync("", cancellationToken))
        {
            if (item.LooksLikeImage)
            {
                names.Add(item.Name);
            }
        }

        return names;
    }

    public Task<byte[]> ReadAsync(string location, string name, CancellationToken cancellationToken)
    {
        var (root, _) = Split(location);
        return Store(root).ReadAsync(name, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(string location, string name, CancellationToken cancellationToken)
    {
        var (root, _) = Split(location);
        return Store(root).OpenReadAsync(name, cancellationToken);
    }

    public async Task<(string Name, byte[] Bytes)?> FindLabelAsync(string labels, string imageName, CancellationToken cancellationToken)
    {
        var store = Store(labels);
        // A plane's ground truth goes by its stem and plane, x.z3 for x.tif#z3.
        var stem = Path.ChangeExtension(ImagePlane.OutputNameOf(imageName), null);

        // One listing of the names that start with the image's stem finds every convention at once.
        var candidates = new List<string>();
        await foreach (var item in store.ListAsync(stem, cancellationToken))
        {
            candidates.Add(item.Name);
        }

        return LabelNames.Choose(stem, candidates) is { } name ? (name, await store.ReadAsync(name, cancellationToken)) : null;
    }

    public Task WriteAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken) =>
        Store(location).WriteAsync(name, bytes, cancellationToken);

    public Task WriteAsync(string location, string name, Stream content, CancellationToken cancellationToken) =>
        Store(location).WriteAsync(name, content, cancellationToken);

    public Task<bool> CreateAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken) =>
        Store(location).CreateAsync(name, bytes, cancellationToken);

    public Task DeleteAsync(string location, string name, CancellationToken cancellationToken) =>
        Store(location).DeleteAsync(name, cancellationToken);

    public Task<byte[]> ReadObjectAsync(string location, CancellationToken cancellationToken)
    {
        var (root, name) = SplitLast(location);
        return Store(root).ReadAsync(name, cancellationToken);
    }

    public async Task<byte[]?> TryReadObjectAsync(string location, CancellationToken cancellationToken)
    {
        var (root, name) = SplitLast(location);
        var store = Store(root);
        return await store.ExistsAsync(name, cancellationToken) ? await store.ReadAsync(name, cancellationToken) : null;
    }

    public Task WriteReportAsync(string output, JobReport report, CancellationToken cancellationToken) =>
        Store(output).WriteAsync(JobReport.FileName, Encoding.UTF8.GetBytes(report.ToJson()), cancellationToken);

    private IObjectStore Store(string location) => _stores.GetOrAdd(location, l => factory.Open(StorageLocation.Parse(l)));

    private static (string Root, string? Single) Split(string location)
    {
        var (root, last) = SplitLast(location);
        return StoredObject.LooksLikeImageName(last) ? (root, last) : (location, null);
    }

    /// <summary>Splits <c>…/folder/name?query</c> into <c>…/folder?query</c> and <c>name</c>, keeping a SAS with the folder.</summary>
    private static (string Root, string Last) SplitLast(string location)
    {
        var query = location.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? location : location[..query];
        var suffix = query < 0 ? "" : location[query..];
        var trimmed = path.TrimEnd('/', Path.DirectorySeparatorChar);
        var cut = trimmed.LastIndexOfAny(['/', Path.DirectorySeparatorChar]);
        return cut < 0
            ? (".", trimmed)
            : (trimmed[..cut] + suffix, trimmed[(cut + 1)..]);
    }
}
