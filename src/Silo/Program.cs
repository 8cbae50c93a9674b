using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Silo;

try
{
    await SiloApplication.Build(args).RunAsync();
    return 0;
}
catch (DeviceUnavailableException ex)
{
    // An operator fixes this from one line naming the setting and what failed to load, not from a stack trace.
    await Console.Error.WriteLineAsync($"error: Inference:Devices: {ex.Message}");
    return 2;
}
