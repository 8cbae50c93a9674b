using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// The words of the <c>unetpp</c> command line, read from its source (src/Client): the commands'
/// names and every option's name, so deployment files that run the client can be checked
/// without building it.
/// </summary>
internal static partial class ClientCommandLine
{
    private static readonly Lazy<(IReadOnlySet<string> Commands, IReadOnlySet<string> Options)> Words = new(Read);

    public static IReadOnlySet<string> Commands => Words.Value.Commands;

    public static IReadOnlySet<string> Options => Words.Value.Options;

    /// <summary>The options among some arguments that the client does not define.</summary>
    public static IReadOnlyList<string> UnknownOptions(IEnumerable<string> arguments) =>
        arguments.Where(a => a.StartsWith("--", StringComparison.Ordinal))
            .Select(a => a.Split('=')[0])
            .Where(o => !Options.Contains(o))
            .Distinct()
            .ToList();

    private static (IReadOnlySet<string>, IReadOnlySet<string>) Read()
    {
        var commands = new SortedSet<string>(StringComparer.Ordinal);
        var options = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Repo.FilesUnder("src/Client", ".cs"))
        {
            var source = Repo.Read(file);
            commands.UnionWith(CommandName().Matches(source).Select(m => m.Groups["name"].Value));
            options.UnionWith(OptionName().Matches(source).Select(m => m.Groups["name"].Value));
        }

        return commands.Count > 0 && options.Count > 0
            ? (commands, options)
            : throw new InvalidOperationException("Found no commands or options in src/Client: they are no longer declared as base(\"name\", …) and new(\"--name\") there; say here how they are.");
    }

    [GeneratedRegex(@":\s*base\(""(?<name>[a-z][a-z-]*)""")]
    private static partial Regex CommandName();

    [GeneratedRegex(@"new(?:\s*Option<[^>]+>)?\(""(?<name>--[a-z][a-z-]*)""")]
    private static partial Regex OptionName();
}
