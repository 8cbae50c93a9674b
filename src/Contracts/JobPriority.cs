using System.Globalization;

namespace UNetPP.Cluster.Contracts;

/// <summary>
/// How soon workers take a job's shards beside other jobs': a whole number from <see cref="Lowest"/>
/// to <see cref="Highest"/>, with names for the three a user usually wants. Higher goes first; a
/// job that waits rises one step at a time (<c>Jobs:PriorityAgeing</c>), so none waits for ever.
/// </summary>
public static class JobPriority
{
    public const int Low = -1;
    public const int Normal = 0;
    public const int High = 1;
    public const int Lowest = -10;
    public const int Highest = 10;

    /// <summary>What a priority may be, in the user's words, for every message that refuses one.</summary>
    public static readonly string Allowed = FormattableString.Invariant($"use low, normal, high or a whole number from {Lowest} to {Highest}");

    /// <summary><c>low</c>, <c>normal</c>, <c>high</c> (any case) or a number in range; anything else is refused saying what is allowed.</summary>
    public static int Parse(string text)
    {
        var word = text.Trim();
        foreach (var (name, value) in Names)
        {
            if (string.Equals(word, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return int.TryParse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && IsAllowed(number)
            ? number
            : throw new ArgumentException($"{Allowed}.");
    }

    public static bool IsAllowed(int priority) => priority is >= Lowest and <= Highest;

    /// <summary>The word for a named priority, else its number.</summary>
    public static string Name(int priority)
    {
        foreach (var (name, value) in Names)
        {
            if (value == priority)
            {
                return name;
            }
        }

        return priority.ToString(CultureInfo.InvariantCulture);
    }

    private static readonly (string Name, int Value)[] Names = [("low", Low), ("normal", Normal), ("high", High)];
}
