using Microsoft.Extensions.Options;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Silo;

if (SiloUsage.Answered(args, Console.Out))
{
    return 0;
}

try
{
    await SiloApplication.Build(args).RunAsync();

    // What the host set on the way out (a failed start, say), as when the program had no return value.
    return Environment.ExitCode;
}
catch (DeviceUnavailableException ex)
{
    // An operator fixes this from one line naming the setting and what failed to load, not from a stack trace.
    await Console.Error.WriteLineAsync($"error: Inference:Devices: {ex.Message}");
    return 2;
}
catch (OptionsValidationException ex)
{
    // Each problem already names its setting; the operator needs those lines, not the exception around them.
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync($"error: {failure}");
    }

    return 2;
}
