using UNetPP.Cluster.Client;

var terminal = Terminal.FromConsole();
using var interrupts = Interrupts.Listen(terminal.Error);
return await CommandLine.RunAsync(args, terminal, interrupts.Token);
