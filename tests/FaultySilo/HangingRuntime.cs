using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.FaultySilo;

/// <summary>
/// The silo's own runtime, whose every session hangs after <paramref name="healthyRuns"/> model runs
/// (see <see cref="HangingSession"/>). Nothing in the silo is told: it has to notice, as it would a stuck driver.
/// </summary>
internal sealed class HangingRuntime(IInferenceRuntime inner, int healthyRuns) : IInferenceRuntime
{
    public IDeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger) =>
        new HangingSession(inner.Open(model, options, logger), healthyRuns);
}
