using UNetPP.Cluster.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddSegmentationSilo();

var app = builder.Build();
app.MapGet("/healthz", () => Results.Ok("alive"));
await app.RunAsync();
