using UNetPP.Cluster.FaultySilo;
using UNetPP.Cluster.Silo;

var builder = SiloApplication.CreateBuilder(args);
builder.AddInferenceFaults();
await SiloApplication.Build(builder).RunAsync();
