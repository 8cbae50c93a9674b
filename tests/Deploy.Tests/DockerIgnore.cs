using System.Text;
using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// A .dockerignore as Docker reads it: patterns in order, '!' bringing paths back, the last pattern
/// that matches a path or one of its parent folders deciding, '**' any number of folders.
/// </summary>
internal sealed class DockerIgnore
{
    private readonly List<(bool Include, Regex Pattern)> rules = [];

    private DockerIgnore(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var include = line.StartsWith('!');
            var pattern = (include ? line[1..] : line).Trim().Trim('/');
            rules.Add((include, new Regex($"^{ToRegex(pattern)}$", RegexOptions.CultureInvariant)));
        }
    }

    public static DockerIgnore Load(string relative) => new(Repo.Read(relative));

    /// <summary>Whether a path from the build context's root (with '/' separators) is sent to the builder.</summary>
    public bool Sends(string path)
    {
        var clean = path.Trim('/');
        var parts = clean.Split('/');
        var prefixes = Enumerable.Range(1, parts.Length).Select(n => string.Join('/', parts.Take(n))).ToList();
        var sent = true;
        foreach (var (include, pattern) in rules)
        {
            if (prefixes.Any(pattern.IsMatch))
            {
                sent = include;
            }
        }

        return sent;
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                // "**/" is any number of folders, none included; a trailing "**" is anything.
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return regex.ToString();
    }
}
