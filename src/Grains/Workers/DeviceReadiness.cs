using System.Collections.Concurrent;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// Whether each of this silo's devices has its model open and can take work: what <c>/readyz</c>
/// reports, so that a load balancer or Kubernetes sends nothing to a silo that could not run it.
/// </summary>
public sealed class DeviceReadiness
{
    private readonly ConcurrentDictionary<string, (bool Ready, string State)> _devices = new(StringComparer.Ordinal);

    /// <summary>Each device's state in words, by device; empty until the workers start.</summary>
    public IReadOnlyDictionary<string, string> States => _devices.ToDictionary(d => d.Key, d => d.Value.State, StringComparer.Ordinal);

    /// <summary>True once at least one device is configured and every one of them is ready.</summary>
    public bool AllReady => !_devices.IsEmpty && _devices.Values.All(d => d.Ready);

    internal void Loading(string device, string model) => _devices[device] = (false, $"opening {model}");

    internal void Ready(string device, string state) => _devices[device] = (true, state);

    internal void Failed(string device, string reason) => _devices[device] = (false, reason);
}
