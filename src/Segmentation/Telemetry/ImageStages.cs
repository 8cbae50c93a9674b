using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace UNetPP.Cluster.Segmentation.Telemetry;

/// <summary>
/// Follows one image through the stages of one piece of the pipeline: while it is in a stage it is
/// counted in <c>unetpp_stage_images</c> (how many images each stage holds now, the pipeline's queue
/// depths) and a span of that stage is open under the caller's span. Disposing leaves the last stage.
/// Not thread-safe: one image, one flow.
/// </summary>
public sealed class ImageStages(string device) : IDisposable
{
    private static readonly UpDownCounter<long> InStage = EngineTelemetry.Meter.CreateUpDownCounter<long>(
        "unetpp.stage.images", unit: "{image}", description: "Images in each pipeline stage now, per device.");

    private string? _stage;
    private Activity? _span;

    /// <summary>Moves the image to <paramref name="stage"/>, leaving the one it was in.</summary>
    public void Enter(string stage)
    {
        Leave();
        _stage = stage;
        InStage.Add(1, EngineTelemetry.Tag("stage", stage), EngineTelemetry.Tag("device", device));
        _span = EngineTelemetry.Traces.StartActivity(stage);
        _span?.SetTag("unetpp.device", device);
    }

    public void Dispose() => Leave();

    private void Leave()
    {
        if (_stage is null)
        {
            return;
        }

        InStage.Add(-1, EngineTelemetry.Tag("stage", _stage), EngineTelemetry.Tag("device", device));
        _span?.Dispose();
        (_stage, _span) = (null, null);
    }
}
