using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// How a job's input and output lie in storage. An output inside the input is left out of the
/// input's listing, so running a job again never segments its own results; an input inside the
/// output is refused, since the outputs written there could land on the images themselves.
/// </summary>
public static class OutputPlacement
{
    /// <summary>The output's path inside the input folder ('/'-separated, ending in '/'); null when the output is elsewhere.</summary>
    public static string? OutputInsideInput(JobSpec spec)
    {
        if (Parse(spec.Input) is not { } input || IsImage(input) || Parse(spec.Output) is not { } output)
        {
            return null;
        }

        return output.PathWithin(input) is { Length: > 0 } path ? path : null;
    }

    /// <summary>Why the job may not run with this input and output, in the user's words; null when it may.</summary>
    public static string? WhyRefused(JobSpec spec)
    {
        if (Parse(spec.Input) is not { } input || Parse(spec.Output) is not { } output || input.PathWithin(output) is not { } path)
        {
            return null;
        }

        // One image beside the output folder (segment cells.png --out .) is no danger: only its folder's place counts.
        if (IsImage(input) && !path.TrimEnd('/').Contains('/', StringComparison.Ordinal))
        {
            return null;
        }

        var where = path.Length == 0 ? "is the output itself" : "is inside the output";
        return $"{StorageLocation.RedactSignature(spec.Input)} {where} ({StorageLocation.RedactSignature(spec.Output)}): masks written there could land on the images. Choose an output outside the input.";
    }

    private static bool IsImage(StorageLocation location) =>
        StoredObject.LooksLikeImageName(location.Kind == StorageKind.Local ? location.LocalPath! : location.Prefix.TrimEnd('/'));

    /// <summary>A location that does not parse is not this rule's to report: reading or writing it says why.</summary>
    private static StorageLocation? Parse(string text)
    {
        try
        {
            return StorageLocation.Parse(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
