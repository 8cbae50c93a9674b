namespace UNetPP.Cluster.Grains.Tests;

/// <summary>A folder under the system temp folder, deleted with everything in it on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "unetpp-grains-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A new folder holding the given files (relative names, '/' for sub-folders), each a few bytes.</summary>
    public string Folder(string name, params string[] files)
    {
        var folder = Directory.CreateDirectory(File(name)).FullName;
        foreach (var file in files)
        {
            var path = System.IO.Path.Combine(folder, file);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllText(path, "not decoded while planning");
        }

        return folder;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
