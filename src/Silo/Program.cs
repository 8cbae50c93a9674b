using UNetPP.Cluster.Silo;

// Settings files live beside the program, wherever it is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Health, metrics and dashboard on loopback port 8080 unless ASPNETCORE_URLS, --urls or
// ASPNETCORE_HTTP_PORTS says otherwise. The default is not a "Urls" entry in appsettings.json:
// that file is read after the ASPNETCORE_ variables and would silently override them.
if (string.IsNullOrWhiteSpace(builder.Configuration["urls"])
    && string.IsNullOrWhiteSpace(builder.Configuration["http_ports"])
    && string.IsNullOrWhiteSpace(builder.Configuration["https_ports"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:8080");
}

builder.AddSegmentationSilo();

var app = builder.Build();
app.MapGet("/healthz", () => Results.Ok("alive"));
await app.RunAsync();
