namespace UNetPP.Cluster.Storage;

/// <summary>
/// The rules every object name follows in every store, so a name that works locally works in blob
/// storage too, and no name can reach outside its store's root.
/// </summary>
internal static class ObjectNames
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the object when the name is not a safe relative name.</summary>
    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var reason = Problem(name);
        if (reason is not null)
        {
            throw new ArgumentException($"Object name '{name}' is refused: {reason}.", nameof(name));
        }
    }

    /// <summary>Checks a listing prefix: like a name, except that it may be empty or end in '/'.</summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
        {
            return;
        }

        var reason = Problem(prefix.EndsWith('/') ? prefix[..^1] : prefix);
        if (reason is not null)
        {
            throw new ArgumentException($"Listing prefix '{prefix}' is refused: {reason}.", nameof(prefix));
        }
    }

    private static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (name.Contains('\\', StringComparison.Ordinal))
        {
            return "it contains a backslash; use '/' between folders";
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            return "it contains a NUL character";
        }

        if (name.StartsWith('/'))
        {
            return "it is an absolute path; names are relative to the store";
        }

        if (name.Length >= 2 && char.IsAsciiLetter(name[0]) && name[1] == ':')
        {
            return "it starts with a drive letter; names are relative to the store";
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "it has an empty folder segment ('//' or a trailing '/')";
            }

            if (segment is "." or "..")
            {
                return $"it has a '{segment}' segment, which could step outside the store";
            }
        }

        return null;
    }
}
