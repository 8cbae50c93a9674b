using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace UNetPP.Cluster.Cli;

/// <summary>
/// What was typed wrong, in the user's words: a value that is not a number names the option, the value
/// and what the option takes (never a .NET type), and an unknown word suggests the nearest option or command.
/// </summary>
public static class ParseErrors
{
    /// <summary>One line per mistake in <paramref name="parsed"/>.</summary>
    /// <param name="program">The program's name, as the user typed it.</param>
    public static IReadOnlyList<string> Describe(ParseResult parsed, string program)
    {
        var lines = new List<string>();
        var unknown = parsed.UnmatchedTokens;
        foreach (var token in unknown)
        {
            lines.Add(Unknown(token, parsed.CommandResult, program));
        }

        foreach (var error in parsed.Errors)
        {
            if (OptionOf(error.SymbolResult) is { } option)
            {
                lines.Add(NotAValue(option) ?? error.Message);
            }
            else if (unknown.Count == 0)
            {
                // An unknown word throws the rest of the line out of step; its own line says what to fix.
                lines.Add(error.Message);
            }
        }

        return lines;
    }

    private static string Unknown(string token, CommandResult at, string program)
    {
        var command = at.Command;
        var path = CommandPath(at, program);
        if (token.StartsWith('-'))
        {
            var options = OptionsOf(at).SelectMany(o => o.Aliases.Prepend(o.Name));
            return $"unknown option '{token}' for '{path}'{Suggest(token, options)}";
        }

        return command.Subcommands.Count > 0
            ? $"unknown command '{token}' for '{path}'{Suggest(token, command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name)))}"
            : $"unexpected argument '{token}' for '{path}'.";
    }

    /// <summary>The options a command takes: its own, and those its parents share with it (--help).</summary>
    private static IEnumerable<Option> OptionsOf(CommandResult at)
    {
        foreach (var option in at.Command.Options)
        {
            yield return option;
        }

        for (var parent = at.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            foreach (var option in parent.Command.Options.Where(o => o.Recursive))
            {
                yield return option;
            }
        }
    }

    private static string CommandPath(CommandResult at, string program)
    {
        var names = new List<string>();
        for (var result = at; result.Parent is CommandResult parent; result = parent)
        {
            names.Add(result.Command.Name);
        }

        names.Add(program);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>
    /// "; did you mean X?" for the names nearest the token in edits, where one is near enough to be a
    /// slip; among equally near ones, those that only add to the end of what was typed come first.
    /// </summary>
    private static string Suggest(string token, IEnumerable<string> names)
    {
        var ranked = names.Distinct(StringComparer.Ordinal)
            .Select(name => (Name: name, Distance: Edits(token, name), Extends: name.StartsWith(token, StringComparison.Ordinal)))
            .Where(c => c.Distance <= Math.Max(1, token.TrimStart('-').Length / 3))
            .OrderBy(c => c.Distance).ThenBy(c => c.Extends ? 0 : 1)
            .ToList();
        if (ranked.Count == 0)
        {
            return ".";
        }

        var best = ranked.TakeWhile(c => c.Distance == ranked[0].Distance && c.Extends == ranked[0].Extends).Select(c => c.Name).ToList();
        return $"; did you mean {string.Join(" or ", best)}?";
    }

    /// <summary>Edits between two words: insertions, deletions, substitutions and swaps of neighbours (the commonest slip).</summary>
    private static int Edits(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>The option a mistake is about, where it is about an option's value.</summary>
    private static OptionResult? OptionOf(SymbolResult? result) => result switch
    {
        OptionResult option => option,
        ArgumentResult { Parent: OptionResult option } => option,
        _ => null,
    };

    /// <summary>The line for a value that does not read as the option's kind of value; null for other mistakes.</summary>
    private static string? NotAValue(OptionResult result)
    {
        var option = result.Option;
        var text = string.Join(' ', result.Tokens.Select(t => t.Value));
        var kind = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        var expected = kind switch
        {
            _ when kind == typeof(int) && !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) => "a whole number",
            _ when kind == typeof(long) && !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) => "a whole number",
            _ when (kind == typeof(double) || kind == typeof(float)) && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) => "a number",
            _ when kind == typeof(bool) && !bool.TryParse(text, out _) => $"true or false, or {option.Name} alone",
            _ => null,
        };
        if (expected is null)
        {
            return null;
        }

        var takes = string.IsNullOrWhiteSpace(option.Description) ? "" : $" {option.Name}: {option.Description}";
        return $"{option.Name} {text}: expected {expected}.{takes}";
    }
}
