using UNetPP.Cluster.Training.CommandLine;

var terminal = Terminal.FromConsole();
using var interrupts = Interrupts.Listen(terminal.Error);
return await TrainCommandLine.RunAsync(args, terminal, interrupts.Token);
