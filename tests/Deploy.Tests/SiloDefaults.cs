using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Silo;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The silo's settings as it starts with nothing set: its appsettings.json over its settings classes.</summary>
internal static partial class SiloDefaults
{
    private static readonly IConfiguration AppSettings = new ConfigurationBuilder()
        .AddJsonFile(Repo.PathOf("src/Silo/appsettings.json"), optional: false)
        .Build();

    public static ClusterSettings Cluster { get; } =
        AppSettings.GetSection(ClusterSettings.SectionName).Get<ClusterSettings>() ?? new ClusterSettings();

    public static WorkerOptions Inference { get; } =
        AppSettings.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();

    /// <summary>The HTTP port the silo listens on when no URL is given (Program.cs).</summary>
    public static int HttpPort { get; } = ReadHttpPort();

    private static int ReadHttpPort()
    {
        var match = DefaultUrl().Match(Repo.Read("src/Silo/Program.cs"));
        return match.Success
            ? int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidOperationException("src/Silo/Program.cs no longer sets its default URL with UseUrls(\"http://host:port\"); say here where the silo's default HTTP port is.");
    }

    [GeneratedRegex(@"UseUrls\(""http://[^"":/]+:(?<port>\d+)""\)")]
    private static partial Regex DefaultUrl();
}
