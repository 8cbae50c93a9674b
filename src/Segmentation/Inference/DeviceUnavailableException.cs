namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// A device that was asked for by name cannot run models on this machine. The message names the
/// device and what failed, in words a lab user can act on (a library to install, a device that is not there).
/// </summary>
public sealed class DeviceUnavailableException : Exception
{
    public DeviceUnavailableException()
    {
    }

    public DeviceUnavailableException(string message) : base(message)
    {
    }

    public DeviceUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
