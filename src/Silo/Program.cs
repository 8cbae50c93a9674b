using UNetPP.Cluster.Silo;

await SiloApplication.Build(args).RunAsync();
