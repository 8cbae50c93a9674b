using System.Diagnostics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// A worker's reads and writes of a job's files, whatever the shard's kind: ground truth found by
/// the image's name, and each write counted and timed as the <c>blob_write</c> stage.
/// </summary>
public sealed class ShardFiles(IDatasetStorage storage, string device)
{
    public IDatasetStorage Storage => storage;

    /// <summary>The image's ground truth under the job's labels, or null when the job has none or none is there.</summary>
    public async Task<GroundTruth?> GroundTruthAsync(JobSpec spec, string name, CancellationToken cancellationToken) =>
        spec.Labels is not null && await storage.FindLabelAsync(spec.Labels, name, cancellationToken) is { } found
            ? new GroundTruth(found.Name, found.Bytes)
            : null;

    public Task WriteAsync(string location, string name, byte[] bytes, CancellationToken cancellationToken) =>
        TimedAsync(() => storage.WriteAsync(location, name, bytes, cancellationToken));

    /// <summary>Writes a stream from its start: scratch files are written, then rewound and stored.</summary>
    public Task WriteAsync(string location, string name, Stream content, CancellationToken cancellationToken)
    {
        content.Position = 0;
        return TimedAsync(() => storage.WriteAsync(location, name, content, cancellationToken));
    }

    private async Task TimedAsync(Func<Task> write)
    {
        using var stages = new ImageStages(device);
        stages.Enter(PipelineStage.BlobWrite);
        var started = Stopwatch.GetTimestamp();
        await write();
        StageMetrics.RecordDuration(PipelineStage.BlobWrite, device, Stopwatch.GetElapsedTime(started));
    }
}
