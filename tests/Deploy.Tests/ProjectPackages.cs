using System.Xml.Linq;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>What a project brings into its output: the packages it and every project it references, directly or not, refer to.</summary>
internal static class ProjectPackages
{
    /// <summary>The package names, for a project given as a path from the repository root.</summary>
    public static IReadOnlySet<string> Of(string project)
    {
        var packages = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Normalize(project)]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            var document = XDocument.Parse(Repo.Read(current));
            packages.UnionWith(document.Descendants("PackageReference").Select(p => (string)p.Attribute("Include")!));
            var folder = Path.GetDirectoryName(current)!;
            foreach (var reference in document.Descendants("ProjectReference").Select(p => (string)p.Attribute("Include")!))
            {
                pending.Push(Normalize(Path.Combine(folder, reference.Replace('\\', '/'))));
            }
        }

        return packages;
    }

    /// <summary>A path from the root with '/' separators and no '..' parts, so one project is visited once.</summary>
    private static string Normalize(string relative) =>
        Path.GetRelativePath(Repo.Root, Path.GetFullPath(Repo.PathOf(relative))).Replace(Path.DirectorySeparatorChar, '/');
}
