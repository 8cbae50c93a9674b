using System.Reflection;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Silo;
using UNetPP.Cluster.Silo.Api;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// The silo's settings that bind to a settings class. Configuration binding ignores a key it has no
/// property for, so a misspelt setting in a deployment file would be silently dropped: these are checked.
/// </summary>
internal static class SettingNames
{
    private static readonly Dictionary<string, Type> Sections = new(StringComparer.Ordinal)
    {
        [ClusterSettings.SectionName] = typeof(ClusterSettings),
        [WorkerOptions.SectionName] = typeof(WorkerOptions),
        [StorageOptions.SectionName] = typeof(StorageOptions),
        [JobOptions.SectionName] = typeof(JobOptions),
        [ApiSettings.SectionName] = typeof(ApiSettings),
    };

    /// <summary>Orleans' own options, bound from sub-sections of <c>Cluster</c> (see <c>SiloHosting</c>).</summary>
    private static readonly Dictionary<string, Type> OrleansSections = new(StringComparer.Ordinal)
    {
        ["Cluster:Membership"] = typeof(Orleans.Configuration.ClusterMembershipOptions),
        ["Cluster:Messaging"] = typeof(Orleans.Configuration.SiloMessagingOptions),
    };

    /// <summary>
    /// Null when a setting (<c>Section:Key</c> or the environment's <c>Section__Key</c>) is one the silo
    /// binds, or is in a section these classes do not own; else why not.
    /// </summary>
    public static string? Problem(string setting)
    {
        var parts = setting.Split([":", "__"], StringSplitOptions.None);
        if (parts.Length >= 2 && OrleansSections.TryGetValue($"{parts[0]}:{parts[1]}", out var orleans))
        {
            return parts.Length < 3 || parts[2] == "*" || orleans.GetProperty(parts[2], BindingFlags.Public | BindingFlags.Instance) is not null
                ? null
                : $"{setting}: {orleans.Name} has no property {parts[2]}";
        }

        if (parts.Length < 2 || !Sections.TryGetValue(parts[0], out var type))
        {
            return null;
        }

        return type.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance) is null
            ? $"{setting}: {type.Name} has no property {parts[1]} (it has {string.Join(", ", type.GetProperties().Select(p => p.Name))})"
            : null;
    }
}
