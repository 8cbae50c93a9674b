namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// Writes a file under a temporary name in the same folder and renames it into place, so a reader (or a
/// crash) never sees a half-written model or weights file.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(
            Path.GetDirectoryName(full) ?? ".",
            $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }

            throw;
        }
    }
}
