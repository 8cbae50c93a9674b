using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.FaultySilo;

/// <summary>
/// The silo's own runtime, whose every session (one per engine) hangs after <paramref name="healthyRuns"/>
/// model runs: every run after that never returns. Nothing in the silo is told: it has to notice, as it
/// would a stuck driver.
/// </summary>
internal sealed class HangingRuntime(IInferenceRuntime inner, int healthyRuns) : IInferenceRuntime
{
    public IDeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger) =>
        new GatedSession(inner.Open(model, options, logger), run =>
        {
            if (run > healthyRuns)
            {
                // Not released on stop or dispose either: a hung driver is not, and the batch loops are
                // background threads, so the process still ends.
                Thread.Sleep(Timeout.Infinite);
            }
        });
}
