using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

/// <summary>ONNX Runtime with every session it opens wrapped in a <see cref="HoldingSession"/>, for tests that go through an engine.</summary>
internal sealed class HoldingRuntime(int? heldRun = null) : IInferenceRuntime
{
    private readonly List<HoldingSession> _sessions = [];

    public IReadOnlyList<HoldingSession> Sessions => _sessions;

    public IDeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger)
    {
        var session = new HoldingSession(OnnxInferenceRuntime.Instance.Open(model, options, logger), heldRun);
        _sessions.Add(session);
        return session;
    }
}
