using UNetPP.Cluster.Bench;

return await BenchCommandLine.RunAsync(args);
