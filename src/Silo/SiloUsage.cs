using System.Reflection;

namespace UNetPP.Cluster.Silo;

/// <summary>
/// <c>unetpp-silo --help</c> and <c>--version</c>: a silo otherwise takes only settings, so these are
/// answered before anything starts (a silo started by mistake would bind its ports and join a cluster).
/// </summary>
public static class SiloUsage
{
    /// <summary>The program's version as built (its informational version: number and commit).</summary>
    public static string Version =>
        typeof(SiloUsage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Writes the help or the version when <paramref name="args"/> asks for one; whether it did.</summary>
    public static bool Answered(string[] args, TextWriter output)
    {
        if (args is ["--version"])
        {
            output.WriteLine(Version);
            return true;
        }

        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            output.WriteLine($"""
                unetpp-silo {Version}: one silo of a UNetPP.Cluster; it joins the cluster its settings name and segments on its devices.

                Usage: unetpp-silo [--Section:Key=value ...] [--urls http://host:port]

                Settings come from appsettings.json beside the program, environment variables (Cluster__Clustering=AzureStorage)
                and arguments (--Cluster:Id=lab), the later winning. The main ones:
                  Cluster:Id, Cluster:Clustering (Localhost | AzureStorage), Cluster:StorageConnection,
                  Cluster:SiloPort (11111), Cluster:GatewayPort (30000), Cluster:AdvertisedAddress (127.0.0.1),
                  Storage:BlobConnection, Inference:Devices (cpu, cuda:0,cuda:1), Inference:BatchSize (4), Inference:Threads (0: all cores)
                HTTP (/metrics, /healthz, /readyz, /dashboard, the job API /v1) on ASPNETCORE_URLS or --urls, http://127.0.0.1:{SiloApplication.DefaultHttpPort} by default.
                  Beyond loopback the job API needs Api:Keys:NAME:Hash and Api:Keys:NAME:Rights (unetpp api-key new), or Api:Jwt:Authority
                  and Api:Jwt:Audience, or Api:Enabled=false; Api:RateLimit:Requests (20) per Api:RateLimit:Period (00:00:01), Api:RateLimit:Burst (40).
                Ctrl-C or SIGTERM stops the silo: /readyz fails, it stops leasing, lets its shards finish (Inference:ShutdownGrace) and hands the rest back.
                """);
            return true;
        }

        return false;
    }
}
