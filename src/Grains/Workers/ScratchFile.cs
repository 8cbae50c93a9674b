namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// A temporary file for what is too large to hold in memory on its way to storage (a band of a large
/// image, a stitched mask), in the system's temporary folder. It is deleted when closed.
/// </summary>
internal static class ScratchFile
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "unetpp-scratch");

    public static FileStream Create()
    {
        Directory.CreateDirectory(Folder);
        return new FileStream(
            Path.Combine(Folder, $"{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }
}
