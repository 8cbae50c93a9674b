using System.CommandLine;
using UNetPP.Cluster.Bench;

var root = new RootCommand("UNetPP.Cluster benchmark on a named device (the gpu command of unetpp-bench alone).") { GpuCommand.Create() };
return await root.Parse(args).InvokeAsync();
