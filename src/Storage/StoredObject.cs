namespace UNetPP.Cluster.Storage;

/// <summary>One listed object: its name relative to the store's location ('/' separators) and its size.</summary>
public sealed record StoredObject(string Name, long Length)
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff"];

    public bool LooksLikeImage => LooksLikeImageName(Name);

    /// <summary>
    /// Whether a name has an image extension the decoder reads. Only a cheap filter for listings:
    /// the decoder sniffs the content and reports a mislabelled file on its own.
    /// </summary>
    public static bool LooksLikeImageName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ImageExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }
}
