using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// A node of a YAML document read without a schema (mappings, sequences and scalar strings), that
/// knows where it is, so a failed lookup names the file and the path to the missing key.
/// </summary>
internal sealed class YamlNode(object? value, string where)
{
    public object? Value { get; } = value;

    public string Where { get; } = where;

    public YamlNode this[string key] =>
        Find(key) ?? throw new KeyNotFoundException($"{Where}: no '{key}'.");

    public bool IsMapping => Value is IDictionary<object, object?>;

    public bool IsSequence => Value is IList<object?>;

    public string Text => Value as string ?? throw new InvalidCastException($"{Where}: not a scalar.");

    public IReadOnlyList<YamlNode> Items =>
        (Value as IList<object?> ?? throw new InvalidCastException($"{Where}: not a sequence."))
            .Select((item, i) => new YamlNode(item, $"{Where}[{i}]"))
            .ToList();

    /// <summary>Each key with its value, in the document's order.</summary>
    public IEnumerable<(string Key, YamlNode Value)> Entries =>
        Mapping.Select(e => ((string)e.Key, new YamlNode(e.Value, $"{Where}.{e.Key}")));

    private IDictionary<object, object?> Mapping =>
        Value as IDictionary<object, object?> ?? throw new InvalidCastException($"{Where}: not a mapping.");

    public YamlNode? Find(string key) =>
        IsMapping && Mapping.TryGetValue(key, out var child) ? new YamlNode(child, $"{Where}.{key}") : null;

    /// <summary>A file's single document, anchors and merge keys (<c>&lt;&lt;: *x</c>, as compose files use) resolved.</summary>
    public static YamlNode Load(string relative) => Parse(Repo.Read(relative), relative);

    public static YamlNode Parse(string yaml, string where)
    {
        using var reader = new StringReader(yaml);
        var value = new DeserializerBuilder().Build().Deserialize<object?>(new MergingParser(new Parser(reader)));
        return new YamlNode(value, where);
    }
}
