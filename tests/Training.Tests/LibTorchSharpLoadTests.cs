using System.Reflection;
using System.Text;
using static TorchSharp.torch;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>
/// The build marks libLibTorchSharp.so's need for GLIBCXX_3.4.32 weak in its own output, only where the
/// libstdc++ this process runs on lacks that version, and leaves the package's copy alone.
/// </summary>
public sealed class LibTorchSharpLoadTests
{
    private const string Library = "libLibTorchSharp.so";

    [Fact]
    public void OutputCopyIsMarkedOnlyWhereTheSystemNeedsIt()
    {
        using var loaded = ones(1); // loads libtorch and, with it, libstdc++
        var built = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, Library));
        var packaged = File.ReadAllBytes(PackagedLibrary());
        var libstdcxx = File.ReadAllLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .First(path => Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal));
        var hasVersion = File.ReadAllBytes(libstdcxx).AsSpan().IndexOf("\0GLIBCXX_3.4.32\0"u8) >= 0;

        var changed = Enumerable.Range(0, built.Length).Where(k => built[k] != packaged[k]).ToList();
        Assert.Equal(packaged.Length, built.Length);
        if (hasVersion)
        {
            Assert.Empty(changed);
        }
        else
        {
            // One vna_flags field, from none to VER_FLG_WEAK (0x2); the package still requires the version.
            var offset = Assert.Single(changed);
            Assert.Equal((0, 2), (packaged[offset], built[offset]));
        }
    }

    private static string PackagedLibrary()
    {
        var root = typeof(LibTorchSharpLoadTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        var version = typeof(TorchSharp.torch).Assembly.GetName().Version!;
        var path = Path.Combine(root, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}", "runtimes", "linux-x64", "native", Library);
        Assert.True(File.Exists(path), $"{path} not found");
        return path;
    }
}
