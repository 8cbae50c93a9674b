using System.Runtime.InteropServices;

namespace UNetPP.Cluster.Storage;

/// <summary>
/// Gives a finished file a second name that must not exist yet, in one step of the file system:
/// <c>link(2)</c> fails when the name is taken, so of several racing creators exactly one wins.
/// (<see cref="File.Move(string, string, bool)"/> without overwrite checks for the target and then
/// renames, and racing callers can all pass the check.)
/// </summary>
internal static partial class HardLink
{
    private const int AlreadyExists = 17; // EEXIST on Linux

    /// <exception cref="IOException">The name is taken, or the file system refused the link.</exception>
    public static void Create(string existing, string name)
    {
        if (Link(existing, name) == 0)
        {
            return;
        }

        var error = Marshal.GetLastPInvokeError();
        throw new IOException(
            error == AlreadyExists ? $"{name} already exists." : $"{name} could not be created: {Marshal.GetPInvokeErrorMessage(error)}",
            error);
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string name);
}
