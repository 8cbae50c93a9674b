using UNetPP.Cluster.Silo;

// Settings files live beside the program, wherever it is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddSegmentationSilo();

var app = builder.Build();
app.MapGet("/healthz", () => Results.Ok("alive"));
await app.RunAsync();
