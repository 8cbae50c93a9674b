namespace UNetPP.Cluster.Client;

/// <summary>One image of a dataset: its name relative to the dataset root (with '/') and where it is.</summary>
internal sealed record DatasetImage(string Name, string Path);

/// <summary>
/// The images of a local file or folder, in a stable order, and where each one's outputs and
/// ground truth live. Names keep the folder structure, so a dataset's tree is mirrored in the outputs.
/// </summary>
internal sealed class LocalDataset
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff"];

    private LocalDataset(IReadOnlyList<DatasetImage> images) => Images = images;

    public IReadOnlyList<DatasetImage> Images { get; }

    public static bool IsImageName(string path) =>
        ImageExtensions.Contains(System.IO.Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>A single image file, or every image file under a folder (sub-folders included).</summary>
    public static LocalDataset Open(string input)
    {
        if (File.Exists(input))
        {
            return new([new DatasetImage(System.IO.Path.GetFileName(input), System.IO.Path.GetFullPath(input))]);
        }

        if (!Directory.Exists(input))
        {
            throw new UsageException($"{input}: no such file or folder.");
        }

        var root = System.IO.Path.GetFullPath(input);
        var images = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(IsImageName)
            .Select(path => new DatasetImage(System.IO.Path.GetRelativePath(root, path).Replace('\\', '/'), path))
            .OrderBy(image => image.Name, StringComparer.Ordinal)
            .ToList();
        return images.Count == 0
            ? throw new UsageException($"{input}: no PNG, JPEG or TIFF images in this folder.")
            : new LocalDataset(images);
    }

    /// <summary>The name an image's outputs take: its name with the extension replaced by .png.</summary>
    public static string OutputName(string imageName) =>
        System.IO.Path.ChangeExtension(imageName, ".png");

    /// <summary>The ground-truth mask for an image: same name under the labels folder, any image extension.</summary>
    public static string? FindLabel(string labelsRoot, string imageName)
    {
        var stem = System.IO.Path.Combine(labelsRoot, System.IO.Path.ChangeExtension(imageName, null));
        return ImageExtensions.Select(extension => stem + extension).FirstOrDefault(File.Exists);
    }
}
