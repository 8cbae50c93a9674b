using System.CommandLine.Parsing;
using System.Globalization;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Cli;

/// <summary><c>--filters</c>: the NestedUNet's channel width at each of its five levels, as <c>unetpp model build</c> and <c>unetpp-train</c> take them.</summary>
public static class FilterWidths
{
    /// <summary>Reads the widths; none when the option is absent (the command's defaults then apply).</summary>
    public static int[] Parse(ArgumentResult result)
    {
        // Called with no tokens when --filters is absent; no widths means the default ones.
        if (result.Tokens.Count == 0)
        {
            return [];
        }

        var text = string.Join(",", result.Tokens.Select(t => t.Value));
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var widths = new List<int>(parts.Length);
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var width) || width <= 0)
            {
                widths.Clear();
                break;
            }

            widths.Add(width);
        }

        if (widths.Count != NestedUNetOptions.Levels)
        {
            result.AddError(
                $"--filters needs {NestedUNetOptions.Levels} positive whole numbers separated by commas, one per level (e.g. 32,64,128,256,512); got '{text}'.");
            return [];
        }

        return [.. widths];
    }
}
