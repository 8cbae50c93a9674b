using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace UNetPP.Cluster.TestSupport;

/// <summary>
/// Reads PromQL as far as checking a dashboard needs: which metrics an expression selects, and which
/// expressions a Grafana dashboard runs. Shared by the test projects that check
/// deploy/grafana/dashboards against the metrics the silo exports.
/// </summary>
public static partial class PromQl
{
    // Grouping modifiers take a parenthesised list of label names, which are not metrics.
    private static readonly HashSet<string> LabelListKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right",
    };

    // Aggregations can stand before "by (…)" rather than "(", so they are known by name, not by a following parenthesis.
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "bool", "offset", "and", "or", "unless", "atan2", "inf", "nan",
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
        "bottomk", "topk", "quantile", "limitk", "limit_ratio",
    };

    /// <summary>
    /// The metric names an expression selects: bare identifiers that are not functions, keywords,
    /// aggregations or label lists, and <c>{__name__="…"}</c>. Strings, label matchers, ranges and
    /// subqueries, numbers and durations, comments and Grafana variables (<c>$name</c>, <c>${name}</c>) are skipped.
    /// </summary>
    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var text = expression;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '#')
            {
                i = text.IndexOf('\n', i) is var end and >= 0 ? end : text.Length;
            }
            else if (c is '"' or '\'' or '`')
            {
                i = SkipString(text, i);
            }
            else if (c == '{')
            {
                i = ReadSelector(text, i, names);
            }
            else if (c == '[')
            {
                i = SkipPast(text, i, ']');
            }
            else if (c == '$')
            {
                i = SkipVariable(text, i);
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                i = SkipNumber(text, i);
            }
            else if (IsIdentifierStart(c))
            {
                var start = i;
                while (i < text.Length && IsIdentifierPart(text[i]))
                {
                    i++;
                }

                var word = text[start..i];
                var next = SkipSpace(text, i);
                var callOrList = next < text.Length && text[next] == '(';
                if (LabelListKeywords.Contains(word))
                {
                    i = callOrList ? SkipPast(text, next, ')') : i;
                }
                else if (!callOrList && !Keywords.Contains(word))
                {
                    names.Add(word);
                }
            }
            else
            {
                i++;
            }
        }

        return names;
    }

    /// <summary>
    /// Every PromQL expression a Grafana dashboard runs: each panel's targets (panels inside rows
    /// too), then the queries of its query variables, where <c>label_values(selector, label)</c> and
    /// <c>query_result(expr)</c> contribute the PromQL inside them and <c>label_values(label)</c>,
    /// <c>label_names()</c> and <c>metrics(…)</c>, which select no series by expression, contribute nothing.
    /// </summary>
    public static IReadOnlyList<string> DashboardExpressions(string dashboardJson)
    {
        using var document = JsonDocument.Parse(dashboardJson);
        var root = document.RootElement;
        var expressions = new List<string>();
        AddPanelExpressions(root, expressions);
        if (root.TryGetProperty("templating", out var templating) && templating.TryGetProperty("list", out var variables))
        {
            foreach (var variable in variables.EnumerateArray())
            {
                if (VariableExpression(variable) is { } expression)
                {
                    expressions.Add(expression);
                }
            }
        }

        return expressions;
    }

    /// <summary>
    /// The expression as Prometheus would get it from Grafana: interval variables (<c>$__rate_interval</c>,
    /// <c>$__interval</c>, <c>$__range</c>) become <c>1m</c>, their <c>_s</c> and <c>_ms</c> forms the same
    /// in numbers, and every other variable <paramref name="value"/> (by default <c>.*</c>, what
    /// "All" is for a regex matcher).
    /// </summary>
    public static string ResolveGrafanaVariables(string expression, string value = ".*") =>
        VariablePattern().Replace(expression, match =>
        {
            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["plain"].Value;
            if (!name.StartsWith("__", StringComparison.Ordinal))
            {
                return value;
            }

            return name.EndsWith("_ms", StringComparison.Ordinal) ? "60000"
                : name.EndsWith("_s", StringComparison.Ordinal) ? "60"
                : "1m";
        });

    private static void AddPanelExpressions(JsonElement holder, List<string> expressions)
    {
        if (!holder.TryGetProperty("panels", out var panels) || panels.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.TryGetProperty("targets", out var targets) && targets.ValueKind == JsonValueKind.Array)
            {
                foreach (var target in targets.EnumerateArray())
                {
                    if (target.TryGetProperty("expr", out var expr) && expr.GetString() is { Length: > 0 } text)
                    {
                        expressions.Add(text);
                    }
                }
            }

            AddPanelExpressions(panel, expressions);
        }
    }

    /// <summary>The PromQL of a query variable; null for other variables and for queries that hold none.</summary>
    private static string? VariableExpression(JsonElement variable)
    {
        if (!variable.TryGetProperty("type", out var type) || type.GetString() != "query" || !variable.TryGetProperty("query", out var query))
        {
            return null;
        }

        // Newer Grafana stores the query as an object with the text in its own "query".
        if (query.ValueKind == JsonValueKind.Object && query.TryGetProperty("query", out var inner))
        {
            query = inner;
        }

        var text = query.ValueKind == JsonValueKind.String ? query.GetString()!.Trim() : string.Empty;
        var call = GrafanaQueryPattern().Match(text);
        if (!call.Success)
        {
            return text.Length > 0 ? text : null;
        }

        var arguments = call.Groups["arguments"].Value;
        return call.Groups["function"].Value switch
        {
            "query_result" => arguments.Trim(),
            "label_values" when LastTopLevelComma(arguments) is var comma and >= 0 => arguments[..comma].Trim(),
            _ => null,
        };
    }

    private static int LastTopLevelComma(string arguments)
    {
        var depth = 0;
        var last = -1;
        for (var i = 0; i < arguments.Length; i++)
        {
            switch (arguments[i])
            {
                case '"' or '\'' or '`':
                    i = SkipString(arguments, i) - 1;
                    break;
                case '(' or '{' or '[':
                    depth++;
                    break;
                case ')' or '}' or ']':
                    depth--;
                    break;
                case ',' when depth == 0:
                    last = i;
                    break;
            }
        }

        return last;
    }

    /// <summary>Reads <c>{…}</c>; of its matchers only <c>__name__="metric"</c> names a metric.</summary>
    private static int ReadSelector(string text, int open, SortedSet<string> names)
    {
        string? label = null;
        var op = new StringBuilder();
        var i = open + 1;
        while (i < text.Length && text[i] != '}')
        {
            var c = text[i];
            if (c is '"' or '\'' or '`')
            {
                var end = SkipString(text, i);
                if (label == "__name__" && op.ToString() == "=")
                {
                    names.Add(Unquote(text[i..end]));
                }

                label = null;
                op.Clear();
                i = end;
            }
            else if (IsIdentifierStart(c))
            {
                var start = i;
                while (i < text.Length && IsIdentifierPart(text[i]))
                {
                    i++;
                }

                label = text[start..i];
                op.Clear();
            }
            else
            {
                if (c is '=' or '!' or '~')
                {
                    op.Append(c);
                }

                i++;
            }
        }

        return Math.Min(i + 1, text.Length);
    }

    private static string Unquote(string literal)
    {
        var body = literal.Length >= 2 ? literal[1..^1] : string.Empty;
        return literal[0] == '`' ? body : Regex.Unescape(body);
    }

    private static int SkipString(string text, int open)
    {
        var quote = text[open];
        var i = open + 1;
        while (i < text.Length && text[i] != quote)
        {
            // Raw (backtick) strings have no escapes.
            i += text[i] == '\\' && quote != '`' ? 2 : 1;
        }

        return Math.Min(i + 1, text.Length);
    }

    /// <summary>Past the bracket that closes the one at <paramref name="open"/>, stepping over strings.</summary>
    private static int SkipPast(string text, int open, char close)
    {
        var opening = text[open];
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '"' or '\'' or '`')
            {
                i = SkipString(text, i) - 1;
            }
            else if (c == opening)
            {
                depth++;
            }
            else if (c == close && --depth == 0)
            {
                return i + 1;
            }
        }

        return text.Length;
    }

    private static int SkipVariable(string text, int dollar)
    {
        if (dollar + 1 < text.Length && text[dollar + 1] == '{')
        {
            return SkipPast(text, dollar + 1, '}');
        }

        var i = dollar + 1;
        while (i < text.Length && IsIdentifierPart(text[i]))
        {
            i++;
        }

        return i;
    }

    /// <summary>Numbers, hexadecimal and exponents included, and durations such as <c>5m</c> or <c>1h30m</c>.</summary>
    private static int SkipNumber(string text, int start)
    {
        var hex = text.Length > start + 1 && text[start] == '0' && text[start + 1] is 'x' or 'X';
        var i = start;
        while (i < text.Length)
        {
            var c = text[i];
            var exponentSign = !hex && c is '+' or '-' && i > start && text[i - 1] is 'e' or 'E';
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' || exponentSign))
            {
                break;
            }

            i++;
        }

        return i;
    }

    private static int SkipSpace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c is '_' or ':';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or ':';

    [GeneratedRegex(@"\$(?:\{(?<braced>[A-Za-z0-9_]+)(?::[^}]*)?\}|(?<plain>[A-Za-z0-9_]+))", RegexOptions.CultureInvariant)]
    private static partial Regex VariablePattern();

    [GeneratedRegex(@"^(?<function>label_values|label_names|metrics|query_result)\s*\((?<arguments>.*)\)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex GrafanaQueryPattern();
}
