using System.Globalization;
using System.Text.Json;

namespace UNetPP.Cluster.Processes;

/// <summary>
/// One record a silo logged, as .NET's JSON console formatter writes it (one object a line): the
/// event's id, level and category and its named fields (<c>{Worker}</c>, <c>{JobId}</c>). Tests assert
/// on these, so rewording a message breaks none of them.
/// </summary>
public sealed record LogEvent(
    int EventId, string Level, string Category, string Message, string? Exception, string? Timestamp, IReadOnlyDictionary<string, JsonElement> State)
{
    /// <summary>The record on a line, or null for a line that is not one (what a crash prints to stderr, say).</summary>
    public static LogEvent? Parse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (!root.TryGetProperty(nameof(EventId), out var id) || !root.TryGetProperty(nameof(Category), out var category))
            {
                return null;
            }

            var state = root.TryGetProperty(nameof(State), out var fields) && fields.ValueKind == JsonValueKind.Object
                ? fields.EnumerateObject().ToDictionary(f => f.Name, f => f.Value.Clone(), StringComparer.Ordinal)
                : [];
            return new LogEvent(
                id.GetInt32(),
                String(root, "LogLevel") ?? "",
                category.GetString() ?? "",
                String(root, "Message") ?? "",
                String(root, "Exception"),
                String(root, "Timestamp"),
                state);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A named field as text (a number in its JSON form), or null where the event has none.</summary>
    public string? Field(string name) =>
        State.TryGetValue(name, out var value) ? (value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()) : null;

    /// <summary>A named field that is a number.</summary>
    public double Number(string name) =>
        State.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new KeyNotFoundException($"Event {EventId} ({Category}) has no number {name}: {this}");

    /// <summary>The line as the simple console formatter would print it, for failure messages.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Timestamp}{Level} {Category}[{EventId}] {Message}") + (Exception is null ? "" : "\n" + Exception);

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
