using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// The options of a run that change the bytes of an image's outputs, by their command-line names,
/// with the values the engine really used (the tile size it took from the model card, say), and a
/// fingerprint of them all. Options that only change how the work is spread (batch, shard size,
/// device) are not among them: they give the same bytes.
/// </summary>
/// <param name="Fingerprint">The SHA-256 of the options and values, in a fixed order.</param>
public sealed record OutputOptions(string Fingerprint, IReadOnlyDictionary<string, string> Values)
{
    public static OutputOptions Of(JobSpec spec, int tileSize)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["--mode"] = spec.Mode,
            ["--tile"] = tileSize.ToString(CultureInfo.InvariantCulture),
            ["--overlap"] = spec.Overlap.ToString("R", CultureInfo.InvariantCulture),
            ["--tta"] = Flag(spec.Tta),
            ["--probabilities"] = Flag(spec.Probabilities),
            ["--overlays"] = Flag(spec.Overlays),
            // Bare: the manifest is stored in the output, and a fresh SAS for the same labels changes nothing.
            ["--labels"] = spec.Labels is null ? "none" : StorageLocation.SplitSas(spec.Labels).Bare,
        };
        // Only when given, so that outputs made before the option existed stay current for --resume.
        if (spec.Normalize is { } normalize)
        {
            values["--normalize"] = normalize;
        }

        if (spec.Channels is { } channels)
        {
            values["--channels"] = channels;
        }

        if (MaskFormats.Of(spec.MaskFormat) is not MaskFormat.Png and var format)
        {
            values["--mask-format"] = format.ToName();
        }

        if (spec.FindsObjects)
        {
            values["--instances"] = Flag(spec.Instances);
            values["--objects"] = Flag(spec.Objects);
            values["--geojson"] = Flag(spec.GeoJson);
            // The card's size goes with the model, whose own hash the manifest checks.
            values["--min-object-size"] = spec.MinObjectSize?.ToString(CultureInfo.InvariantCulture) ?? "the model card's";
        }

        var text = string.Concat(values.Select(pair => $"{pair.Key}={pair.Value}\n"));
        return new OutputOptions(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), values);
    }

    /// <summary>Which option differs from <paramref name="now"/> and how ("option --tile changed (64 → 128)"); null when none does.</summary>
    public string? WhyDifferent(OutputOptions now)
    {
        if (string.Equals(Fingerprint, now.Fingerprint, StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var (name, value) in now.Values)
        {
            var before = Values.GetValueOrDefault(name);
            if (!string.Equals(before, value, StringComparison.Ordinal))
            {
                return $"option {name} changed ({before ?? "not set"} → {value})";
            }
        }

        // An option given before and not now (its default now): its value then is what differs.
        foreach (var (name, value) in Values.Where(pair => !now.Values.ContainsKey(pair.Key)))
        {
            return $"option {name} changed ({value} → not set)";
        }

        return "options changed";
    }

    private static string Flag(bool on) => on ? "on" : "off";
}
