using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Silo;

/// <summary>The silo process: Orleans and the device workers, with its HTTP endpoints for metrics, health, the dashboard and the job API.</summary>
public static class SiloApplication
{
    /// <summary>The HTTP port when no URL is configured; deployment files publish and probe it.</summary>
    public const int DefaultHttpPort = 8080;

    /// <summary>The silo as <c>unetpp-silo</c> runs it: <see cref="CreateBuilder"/>, then <see cref="Build(WebApplicationBuilder)"/>.</summary>
    /// <param name="settings">Settings that take precedence over every other source (tests use them).</param>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? settings = null) =>
        Build(CreateBuilder(args, settings));

    /// <summary>
    /// The silo's builder with every service of the silo registered: a host that runs the silo with
    /// more services, or with one of them replaced or wrapped, registers them here and then calls
    /// <see cref="Build(WebApplicationBuilder)"/>.
    /// </summary>
    /// <param name="settings">Settings that take precedence over every other source (tests use them).</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, IReadOnlyDictionary<string, string?>? settings = null)
    {
        // Settings files live beside the program, wherever it is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        // Health, metrics and dashboard on loopback port 8080 unless ASPNETCORE_URLS, --urls or
        // ASPNETCORE_HTTP_PORTS says otherwise. The default is not a "Urls" entry in appsettings.json:
        // that file is read after the ASPNETCORE_ variables and would silently override them.
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"])
            && string.IsNullOrWhiteSpace(builder.Configuration["http_ports"])
            && string.IsNullOrWhiteSpace(builder.Configuration["https_ports"]))
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{DefaultHttpPort}");
        }

        builder.AddSegmentationSilo();
        builder.AddSiloTelemetry(ClusterSettings.From(builder.Configuration).Endpoint);
        builder.Services.AddSiloHealth();
        builder.AddDashboardAccess();
        builder.AddApiAccess();
        builder.AddJobApi();
        return builder;
    }

    /// <summary>Builds the silo from <paramref name="builder"/> (see <see cref="CreateBuilder"/>) and maps its endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UseJobApiProblems();
        app.UseAuthentication();
        app.UseAuthorization();

        // After authorization, so a caller is counted by its key or token and a refused one costs nothing.
        app.UseRateLimiter();
        app.MapSiloEndpoints();
        return app;
    }
}
