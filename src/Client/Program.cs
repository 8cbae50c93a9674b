using UNetPP.Cluster.Client;

return await CommandLine.RunAsync(args, Terminal.FromConsole());
