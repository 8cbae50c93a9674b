namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// Which heads of a deeply supervised UNet++ produce the mask: one level's head with everything it does
/// not need pruned away (L1 cheapest … L4 full depth), or the mean of all heads (the article's accurate mode).
/// </summary>
public enum InferenceMode
{
    L1,
    L2,
    L3,
    L4,
    Accurate,
}

/// <summary>Conversions between <see cref="InferenceMode"/> and the names used on the command line and in model cards.</summary>
public static class InferenceModes
{
    private static readonly string[] Names = ["L1", "L2", "L3", "L4", "accurate"];

    /// <summary>Every mode name, in the order of the enum.</summary>
    public static IReadOnlyList<string> All => Names;

    /// <summary>The name of a mode as written in cards and on the command line.</summary>
    public static string ToName(this InferenceMode mode) =>
        (int)mode >= 0 && (int)mode < Names.Length
            ? Names[(int)mode]
            : throw new ArgumentOutOfRangeException(nameof(mode), mode, "Not an inference mode.");

    /// <summary>Parses a mode name case-insensitively; the error lists the valid names.</summary>
    public static InferenceMode Parse(string text)
    {
        if (TryParse(text, out var mode))
        {
            return mode;
        }

        throw new ArgumentException(
            $"'{text}' is not an inference mode; use one of {string.Join(", ", Names)}.", nameof(text));
    }

    public static bool TryParse(string? text, out InferenceMode mode)
    {
        var trimmed = text?.Trim();
        for (var i = 0; i < Names.Length; i++)
        {
            if (string.Equals(trimmed, Names[i], StringComparison.OrdinalIgnoreCase))
            {
                mode = (InferenceMode)i;
                return true;
            }
        }

        mode = default;
        return false;
    }
}
