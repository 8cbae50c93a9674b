using UNetPP.Cluster.Training.CommandLine;

return await TrainCommandLine.RunAsync(args, Terminal.FromConsole());
