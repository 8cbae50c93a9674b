using Microsoft.Extensions.Configuration;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Silo;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The silo's settings as it starts with nothing set: its appsettings.json over its settings classes.</summary>
internal static class SiloDefaults
{
    private static readonly IConfiguration AppSettings = new ConfigurationBuilder()
        .AddJsonFile(Repo.PathOf("src/Silo/appsettings.json"), optional: false)
        .Build();

    public static ClusterSettings Cluster { get; } =
        AppSettings.GetSection(ClusterSettings.SectionName).Get<ClusterSettings>() ?? new ClusterSettings();

    public static WorkerOptions Inference { get; } =
        AppSettings.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();

    /// <summary>The HTTP port the silo listens on when no URL is given.</summary>
    public static int HttpPort => SiloApplication.DefaultHttpPort;
}
