using System.Reflection;

namespace UNetPP.Cluster.Grains;

/// <summary>The version of the tool, as built: reports and manifests record it, so a result can be traced to the code that made it.</summary>
public static class ToolVersion
{
    public static string Current { get; } =
        typeof(ToolVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ToolVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
