using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Storage;

/// <summary>
/// A job's view of storage: its input images, their ground truth, and its outputs, each named
/// relative to the location the user gave. Grains and workers move bytes through this and
/// nothing else, so a new backend is a change in one place.
/// </summary>
public interface IDatasetStorage
{
    /// <summary>The images of an input (a folder, prefix or single file), names relative to it, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListImagesAsync(string input, CancellationToken cancellationToken);

    Task<byte[]> ReadAsync(string location, string name, CancellationToken cancellationToken);

    /// <summary>An object as a seekable stream fetched as it is read, for images too large to hold.</summary>
    Task<Stream> OpenReadAsync(string location, string name, CancellationToken cancellationToken);

    /// <summary>
    /// The ground truth for an image under the labels location: its stem with any image extension,
    /// bare or with one of the usual suffixes (<see cref="LabelNames"/>); null when there is none.
    /// </summary>
    Task<(string Name, byte[] Bytes)?> FindLabelAsync(string labels, string imageName, CancellationToken cancellationToken);

    /// <summary>Writes a whole object or nothing: a reader never sees part of it.</summary>
    Task WriteAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken);

    /// <summary>Writes a whole object from a stream read to its end, or nothing.</summary>
    Task WriteAsync(string location, string name, Stream content, CancellationToken cancellationToken);

    /// <summary>Creates an object only if there is none by that name, atomically; false when there is one.</summary>
    Task<bool> CreateAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken);

    /// <summary>Removes an object if it is there.</summary>
    Task DeleteAsync(string location, string name, CancellationToken cancellationToken);

    /// <summary>One object given by its whole location (a model file, say).</summary>
    Task<byte[]> ReadObjectAsync(string location, CancellationToken cancellationToken);

    /// <summary>One object given by its whole location, or null when it does not exist.</summary>
    Task<byte[]?> TryReadObjectAsync(string location, CancellationToken cancellationToken);

    Task WriteReportAsync(string output, JobReport report, CancellationToken cancellationToken);
}
