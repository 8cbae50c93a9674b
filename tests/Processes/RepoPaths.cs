namespace UNetPP.Cluster.Processes;

/// <summary>Where the built silo and command line are: the same configuration as the build of the program asking.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootValue = new(FindRoot);
    private static readonly Lazy<string> ConfigurationValue = new(FindConfiguration);

    /// <summary>The folder holding <c>UNetPP.Cluster.sln</c>.</summary>
    public static string Root => RootValue.Value;

    /// <summary>Release or Debug: the folder under <c>bin</c> the running assembly was built into.</summary>
    public static string Configuration => ConfigurationValue.Value;

    public static string SiloDll => Built("src/Silo", "unetpp-silo.dll");

    /// <summary>The silo with faults injected by its <c>Faults:*</c> settings (tests/FaultySilo), for the recovery tests.</summary>
    public static string FaultySiloDll => Built("tests/FaultySilo", "unetpp-silo-faults.dll");

    public static string ClientDll => Built("src/Client", "unetpp.dll");

    public static string TrainDll => Built("src/Training", "unetpp-train.dll");

    /// <summary>The <c>dotnet</c> host this program runs on, so child processes use the same runtime.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string Built(string project, string file)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", "linux-x64", file);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is not built; build the project that runs it (it builds {project} first) with -c {Configuration}.", path);
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "UNetPP.Cluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No UNetPP.Cluster.sln above {AppContext.BaseDirectory}.");
    }

    private static string FindConfiguration()
    {
        // …/<project>/bin/<Configuration>/net10.0/linux-x64/
        var parts = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory).Split(Path.DirectorySeparatorChar);
        var bin = Array.LastIndexOf(parts, "bin");
        return bin >= 0 && bin + 1 < parts.Length
            ? parts[bin + 1]
            : throw new InvalidOperationException($"The running assembly is not under a bin folder: {AppContext.BaseDirectory}.");
    }
}
