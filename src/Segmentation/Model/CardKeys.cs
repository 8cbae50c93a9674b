using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// Refuses a card key that nothing reads, so a misspelt setting (<c>normalisation</c>) is an error instead
/// of a silent default. The known keys are the card's own properties as the serializer names them, object
/// by object, so a property added to the card or to one of its objects is known without a list to update.
/// </summary>
internal static class CardKeys
{
    /// <summary>Throws <see cref="InvalidDataException"/> naming the first unknown key and the nearest known one.</summary>
    public static void Check(JsonElement card, JsonSerializerOptions options)
    {
        // Asked directly, so the answer does not depend on whether the options have been used yet.
        var resolver = options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver();
        Check(card, t => resolver.GetTypeInfo(t, options), typeof(ModelCard), "");
    }

    private static void Check(JsonElement element, Func<Type, JsonTypeInfo?> contract, Type declared, string prefix)
    {
        // An object the serializer reads with a converter of its own says which keys it knows itself.
        if (element.ValueKind != JsonValueKind.Object || contract(declared) is not { Kind: JsonTypeInfoKind.Object } type)
        {
            return;
        }

        var known = type.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (known.TryGetValue(property.Name, out var info))
            {
                Check(property.Value, contract, info.PropertyType, $"{prefix}{property.Name}.");
                continue;
            }

            var nearest = known.Keys.MinBy(k => Distance(property.Name.ToLowerInvariant(), k.ToLowerInvariant()));
            var hint = nearest is null ? "" : $"; did you mean '{prefix}{nearest}'?";
            throw new InvalidDataException($"model card: unknown key '{prefix}{property.Name}'{hint}");
        }
    }

    /// <summary>Edits (insert, delete, replace) that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var replace = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(replace, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
