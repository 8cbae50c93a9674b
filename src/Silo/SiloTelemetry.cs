using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Silo;

/// <summary>The silo's telemetry settings (section <c>Telemetry</c>) and dashboard switch (section <c>Dashboard</c>).</summary>
public sealed class TelemetrySettings
{
    public const string SectionName = "Telemetry";

    /// <summary>Where traces go by OTLP (an OpenTelemetry collector, Jaeger, Tempo); none are exported when empty.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (port 4317 by convention) or <c>http/protobuf</c> (4318).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint)
            && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
        {
            problems.Add($"Telemetry:OtlpEndpoint '{OtlpEndpoint}' is not an absolute http or https URL (for example http://collector:4317).");
        }

        if (OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            problems.Add($"Telemetry:OtlpProtocol '{OtlpProtocol}': use grpc or http/protobuf.");
        }

        return problems;
    }
}

public static class SiloTelemetry
{
    /// <summary>Orleans' own trace sources, so a job's spans show the grain calls they made.</summary>
    private static readonly string[] OrleansSources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    /// <summary>
    /// Metrics for Prometheus (the project's meter, Orleans', the .NET runtime's and the process's),
    /// traces by OTLP when an endpoint is set, and the Orleans dashboard when <c>Dashboard:Enabled</c>.
    /// </summary>
    public static IHostApplicationBuilder AddSiloTelemetry(this IHostApplicationBuilder builder, string siloName)
    {
        var settings = builder.Configuration.GetSection(TelemetrySettings.SectionName).Get<TelemetrySettings>() ?? new TelemetrySettings();
        var problems = settings.Problems();
        if (problems.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(TelemetrySettings.SectionName, typeof(TelemetrySettings), problems);
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("unetpp-silo", serviceInstanceId: siloName))
            .WithMetrics(metrics => metrics
                .AddMeter(ClusterTelemetry.Name, "Microsoft.Orleans")
                .AddRuntimeInstrumentation()
                .AddProcessInstrumentation()
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(settings.OtlpEndpoint))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(ClusterTelemetry.Name)
                .AddSource(OrleansSources)
                .AddOtlpExporter(otlp =>
                {
                    otlp.Endpoint = new Uri(settings.OtlpEndpoint);
                    otlp.Protocol = settings.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                }));
        }

        return builder;
    }

    /// <summary>
    /// The dashboard's access settings, checked, and the authentication that enforces them when a
    /// user name and password are set (<see cref="DashboardAccess"/>).
    /// </summary>
    public static IHostApplicationBuilder AddDashboardAccess(this IHostApplicationBuilder builder)
    {
        var access = DashboardAccess.From(builder.Configuration);
        if (access.Problems() is { Count: > 0 } problems)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException("Dashboard", typeof(DashboardAccess), problems);
        }

        builder.Services.AddSingleton(access);
        builder.Services.AddAuthentication().AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, DashboardAuthentication>(DashboardAccess.Scheme, null);
        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>Whether the Orleans dashboard is on: off unless asked for; it asks for a password only when one is set.</summary>
    public static bool DashboardEnabled(IConfiguration configuration) => configuration.GetValue("Dashboard:Enabled", false);

    /// <summary>The silo's HTTP endpoints: <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c>, the job API under <c>/v1</c> unless <c>Api:Enabled</c> is false, and <c>/dashboard</c> when enabled.</summary>
    public static WebApplication MapSiloEndpoints(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint();
        app.MapSiloHealth();
        if (ApiAccess.Enabled(app.Configuration))
        {
            app.MapJobApi();
        }

        if (DashboardEnabled(app.Configuration))
        {
            var dashboard = app.MapOrleansDashboard(routePrefix: "/dashboard");
            if (app.Services.GetRequiredService<DashboardAccess>().Required)
            {
                dashboard.RequireAuthorization(policy => policy.AddAuthenticationSchemes(DashboardAccess.Scheme).RequireAuthenticatedUser());
            }
        }

        return app;
    }
}
