using System.Globalization;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// Reads switches, counts and time spans from one configuration section as text, so a value that is
/// none of those becomes a problem naming its setting rather than a conversion error naming a type.
/// </summary>
internal sealed class SettingReader(IConfigurationSection section, List<string> problems)
{
    public string? Text(string key) => section[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    public bool Switch(string key, bool fallback)
    {
        if (Text(key) is not { } text)
        {
            return fallback;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        problems.Add($"{Setting(key)} '{text}': use true or false.");
        return fallback;
    }

    public int Count(string key, int fallback, int least, int most)
    {
        if (Text(key) is not { } text)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= least && value <= most)
        {
            return value;
        }

        problems.Add(string.Create(CultureInfo.InvariantCulture, $"{Setting(key)} '{text}': give a whole number from {least} to {most}."));
        return fallback;
    }

    public TimeSpan Span(string key, TimeSpan fallback, TimeSpan least, TimeSpan most)
    {
        if (Text(key) is not { } text)
        {
            return fallback;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= least && value <= most)
        {
            return value;
        }

        problems.Add(string.Create(CultureInfo.InvariantCulture, $"{Setting(key)} '{text}': give a time from {least:c} to {most:c} (hh:mm:ss, or d.hh:mm:ss)."));
        return fallback;
    }

    /// <summary>Notes every setting of the section that is not one of <paramref name="known"/> (a misspelt one would be ignored), naming but never quoting it: it may hold a secret.</summary>
    public void OnlyThese(params string[] known)
    {
        foreach (var child in section.GetChildren().Where(c => !known.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            problems.Add($"{child.Path} is not a setting: {section.Path} has {string.Join(", ", known)}.");
        }
    }

    public string Setting(string key) => $"{section.Path}:{key}";
}
