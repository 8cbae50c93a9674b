using UNetPP.Cluster.Silo;

if (SiloUsage.Answered(args, Console.Out))
{
    return 0;
}

await SiloApplication.Build(args).RunAsync();

// What the host set on the way out (a failed start, say), as when the program had no return value.
return Environment.ExitCode;
