namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The repository's files, read where they are: the tests only ever read them.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>The full path of a file given as a path from the repository root with '/' separators.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative)
    {
        var path = PathOf(relative);
        return File.Exists(path) ? File.ReadAllText(path) : throw new FileNotFoundException($"{relative} is missing from the repository.", path);
    }

    public static bool Exists(string relative) => File.Exists(PathOf(relative)) || Directory.Exists(PathOf(relative));

    /// <summary>The files under a folder whose names end in one of the extensions, as paths from the root, in a fixed order.</summary>
    public static IReadOnlyList<string> FilesUnder(string folder, params string[] extensions) =>
        Directory.EnumerateFiles(PathOf(folder), "*", SearchOption.AllDirectories)
            .Where(f => extensions.Any(e => f.EndsWith(e, StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "UNetPP.Cluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No UNetPP.Cluster.sln above {AppContext.BaseDirectory}.");
    }
}
