using System.Text;

namespace UNetPP.Cluster.Storage;

/// <summary>
/// The rules every object name follows in every store, so a name that works locally works in blob
/// storage too, and no name can reach outside its store's root.
/// </summary>
public static class ObjectNames
{
    /// <summary>The most characters a blob name may have.</summary>
    public const int MaxLength = 1024;

    /// <summary>The most UTF-8 bytes a file name (one folder segment) may have on common file systems.</summary>
    public const int MaxSegmentBytes = 255;

    /// <summary>Throws <see cref="ArgumentException"/> naming the object when the name is not a safe relative name.</summary>
    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var reason = WhyRefused(name);
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

        var reason = WhyRefused(prefix.EndsWith('/') ? prefix[..^1] : prefix);
        if (reason is not null)
        {
            throw new ArgumentException($"Listing prefix '{prefix}' is refused: {reason}.", nameof(prefix));
        }
    }

    /// <summary>Why a name is refused by every store, or null when it is a safe relative name.</summary>
    public static string? WhyRefused(string name)
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

        // Control characters (a newline, an escape) make names that logs, terminals and reports misread.
        var control = name.FirstOrDefault(char.IsControl);
        if (control != default)
        {
            return FormattableString.Invariant($"it contains the control character U+{(int)control:X4}");
        }

        if (name.Length > MaxLength)
        {
            return FormattableString.Invariant($"it is {name.Length} characters long, over the {MaxLength} a blob name may have");
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

            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                return FormattableString.Invariant($"its part '{segment[..16]}…' is {Encoding.UTF8.GetByteCount(segment)} bytes, over the {MaxSegmentBytes} a file name may have");
            }
        }

        return null;
    }
}
