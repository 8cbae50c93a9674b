using System.IO.Compression;

namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>
/// A bioimage.io model package: a folder with its description (<c>rdf.yaml</c> or <c>bioimageio.yaml</c>),
/// or a <c>.zip</c> of one; the description's files are read beside it.
/// </summary>
internal sealed class ModelPackage : IDisposable
{
    private static readonly string[] DescriptionNames = ["rdf.yaml", "bioimageio.yaml"];

    private readonly ZipArchive? _zip;
    private readonly string _folder;

    private ModelPackage(string where, string description, string folder, ZipArchive? zip)
    {
        Where = where;
        Description = description;
        _folder = folder;
        _zip = zip;
    }

    /// <summary>How messages name the package: the description's path, or the zip's with the description inside.</summary>
    public string Where { get; }

    /// <summary>The description's text.</summary>
    public string Description { get; }

    /// <summary>Opens a description file, a folder holding one, or a zip holding one; throws <see cref="ModelException"/> naming the path when none is there.</summary>
    public static ModelPackage Open(string path)
    {
        if (Directory.Exists(path))
        {
            var file = DescriptionNames.Select(n => Path.Combine(path, n)).FirstOrDefault(File.Exists)
                ?? throw ModelException.For(path, "this folder holds no rdf.yaml or bioimageio.yaml, so it is not a bioimage.io model package");
            return FromFile(file);
        }

        if (!File.Exists(path))
        {
            throw ModelException.For(path, "no such file or folder");
        }

        if (!path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            return FromFile(path);
        }

        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw ModelException.For(path, "not a zip file", e);
        }

        var entry = zip.Entries
            .Where(e => DescriptionNames.Contains(e.Name, StringComparer.OrdinalIgnoreCase) || e.Name.EndsWith(".bioimageio.yaml", StringComparison.OrdinalIgnoreCase))
            .MinBy(e => e.FullName.Length);
        if (entry is null)
        {
            zip.Dispose();
            throw ModelException.For(path, "the zip holds no rdf.yaml or bioimageio.yaml, so it is not a bioimage.io model package");
        }

        using var reader = new StreamReader(entry.Open());
        var folder = entry.FullName[..^entry.Name.Length];
        return new ModelPackage($"{path} ({entry.FullName})", reader.ReadToEnd(), folder, zip);
    }

    /// <summary>The bytes of a file the description names; throws <see cref="InvalidDataException"/> when it is not in the package.</summary>
    public byte[] Read(string source)
    {
        if (source.Contains("://", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{source}' is a web address; unetpp reads packages offline, so download the package as a zip (it holds every file)");
        }

        var relative = source.StartsWith("./", StringComparison.Ordinal) ? source[2..] : source;
        if (_zip is null)
        {
            var file = Path.Combine(_folder, relative);
            return File.Exists(file) ? File.ReadAllBytes(file) : throw new InvalidDataException($"'{source}' is not in the package's folder");
        }

        var entry = _zip.GetEntry(_folder + relative) ?? throw new InvalidDataException($"'{source}' is not in the zip");
        using var stream = entry.Open();
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }

    public void Dispose() => _zip?.Dispose();

    private static ModelPackage FromFile(string file) =>
        new(file, File.ReadAllText(file), Path.GetDirectoryName(Path.GetFullPath(file))!, null);
}
