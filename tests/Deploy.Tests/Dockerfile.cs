using System.Text.Json;
using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>One instruction of a Dockerfile: its keyword in capitals and the rest of its (joined) lines.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line)
{
    /// <summary>The words of the arguments, or the items of an exec form (<c>["a", "b"]</c>).</summary>
    public IReadOnlyList<string> Words =>
        Arguments.StartsWith('[')
            ? JsonSerializer.Deserialize<string[]>(Arguments) ?? []
            : Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>An instruction's <c>--name=value</c> flags, such as COPY's <c>--from</c>.</summary>
    public string? Flag(string name) =>
        Words.TakeWhile(w => w.StartsWith("--", StringComparison.Ordinal))
            .FirstOrDefault(w => w.StartsWith($"--{name}=", StringComparison.Ordinal))?[(name.Length + 3)..];

    /// <summary>The words after the flags.</summary>
    public IReadOnlyList<string> Operands => Words.SkipWhile(w => w.StartsWith("--", StringComparison.Ordinal)).ToList();
}

/// <summary>A build stage: what it starts from (global ARG defaults filled in) and its instructions.</summary>
internal sealed record DockerStage(string Name, string BaseImage, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    /// <summary>The stage's ENV settings; later ones win, as in the image.</summary>
    public IReadOnlyDictionary<string, string> Environment =>
        All("ENV").SelectMany(e => Dockerfile.EnvPairs(e.Arguments))
            .GroupBy(p => p.Key)
            .ToDictionary(g => g.Key, g => g.Last().Value);
}

/// <summary>The parts of a Dockerfile the tests check: stages, their instructions, and global ARGs.</summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Stage(string name) =>
        Stages.SingleOrDefault(s => s.Name == name) ?? throw new KeyNotFoundException($"The Dockerfile has no stage '{name}'; it has {string.Join(", ", Stages.Select(s => s.Name))}.");

    public static Dockerfile Load(string relative)
    {
        var instructions = Instructions(Repo.Read(relative));
        var globals = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        string? name = null;
        string? image = null;
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                Close();
                var words = instruction.Operands;
                image = ArgReference().Replace(words[0], m => globals.TryGetValue(m.Groups["name"].Value, out var v) ? v : m.Value);
                name = words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : $"#{stages.Count}";
                current = [];
            }
            else if (current is null && instruction.Keyword == "ARG")
            {
                foreach (var (key, value) in EnvPairs(instruction.Arguments))
                {
                    globals[key] = value;
                }
            }
            else
            {
                current?.Add(instruction);
            }
        }

        Close();
        return new Dockerfile(stages);

        void Close()
        {
            if (current is not null)
            {
                stages.Add(new DockerStage(name!, image!, current));
            }
        }
    }

    /// <summary><c>KEY=value</c> pairs (values optionally quoted, possibly empty) of an ENV or ARG.</summary>
    public static IEnumerable<KeyValuePair<string, string>> EnvPairs(string arguments) =>
        EnvPair().Matches(arguments).Select(m => KeyValuePair.Create(m.Groups["key"].Value,
            m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Groups["plain"].Value));

    /// <summary>Instructions with comments dropped and continued lines (ending in '\') joined.</summary>
    private static List<DockerInstruction> Instructions(string text)
    {
        var result = new List<DockerInstruction>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var start = i + 1;
            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                var next = lines[++i].Trim();
                line = line[..^1].TrimEnd() + (next.StartsWith('#') ? string.Empty : " " + next);
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            result.Add(space < 0
                ? new DockerInstruction(line.ToUpperInvariant(), string.Empty, start)
                : new DockerInstruction(line[..space].ToUpperInvariant(), line[(space + 1)..].Trim(), start));
        }

        return result;
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex ArgReference();

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?:""(?<quoted>[^""]*)""|(?<plain>[^\s""]*))")]
    private static partial Regex EnvPair();
}
