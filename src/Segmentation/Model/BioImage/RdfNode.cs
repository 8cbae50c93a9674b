using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>
/// One value of a bioimage.io description, read without a schema, that knows its path in the file
/// (<c>inputs[0].preprocessing[1].kwargs</c>), so what is missing or wrong is named where it is.
/// </summary>
internal sealed class RdfNode(YamlNode node, string where)
{
    public string Where { get; } = where;

    public bool IsSequence => node is YamlSequenceNode;

    public bool IsMapping => node is YamlMappingNode;

    /// <summary>The file's single document; throws <see cref="InvalidDataException"/> when it is not YAML.</summary>
    public static RdfNode Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"not valid YAML at line {e.Start.Line}: {e.Message}", e);
        }

        return stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root
            ? throw new InvalidDataException("not a model description (no mapping of keys at the top)")
            : new RdfNode(root, "");
    }

    public RdfNode? Find(string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child)
            && !(child is YamlScalarNode { Value: null or "" or "null" or "~" } scalar && scalar.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any)
            ? new RdfNode(child, Where.Length == 0 ? key : $"{Where}.{key}")
            : null;

    public RdfNode this[string key] =>
        Find(key) ?? throw new InvalidDataException($"{Name(Where.Length == 0 ? key : $"{Where}.{key}")} is missing");

    public IReadOnlyList<RdfNode> Items => node is YamlSequenceNode list
        ? [.. list.Children.Select((item, i) => new RdfNode(item, $"{Where}[{i}]"))]
        : throw Wrong("a list");

    public string Text => node is YamlScalarNode { Value: { } value } ? value : throw Wrong("a single value");

    public double Number =>
        double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : Text.ToLowerInvariant() switch
            {
                ".inf" or "inf" => double.PositiveInfinity,
                "-.inf" or "-inf" => double.NegativeInfinity,
                _ => throw Wrong("a number"),
            };

    /// <summary>One number or a list of them (one per channel).</summary>
    public IReadOnlyList<double> Numbers => IsSequence ? [.. Items.Select(i => i.Number)] : [Number];

    public int Integer => int.TryParse(Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
        ? value
        : throw Wrong("a whole number");

    /// <summary>A short, readable rendering of the value, for messages.</summary>
    public override string ToString() => node switch
    {
        YamlScalarNode scalar => scalar.Value ?? "null",
        YamlSequenceNode list => $"[{string.Join(", ", Items)}]",
        _ => "{…}",
    };

    public InvalidDataException Wrong(string expected) =>
        new($"{Name(Where)} should be {expected}; it is '{this}'");

    private static string Name(string where) => where.Length == 0 ? "the description" : where;
}
