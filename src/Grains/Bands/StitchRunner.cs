using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation.Bands;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Grains.Bands;

/// <summary>
/// Runs a stitch shard: joins a large image's band parts in one pass, read one after another, into
/// its mask, probability map and overlay, written row by row to scratch files, then to storage.
/// </summary>
public sealed class StitchRunner(ShardFiles files, ImageAttempt attempt, ClusterMetrics metrics, string device, string silo)
{
    private readonly BandStitcher _stitcher = new(new MaskWriter(new OverlayOptions()), new ImageDecoder(new ImageDecoderOptions()));

    public async Task<ImageResult> RunAsync(ShardLease lease, StitchWork stitch, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        var started = DateTimeOffset.UtcNow;
        var (result, _) = await attempt.RunAsync(stitch.Image, async () =>
        {
            await using var maskFile = ScratchFile.Create();
            await using var probabilityFile = spec.Probabilities ? ScratchFile.Create() : null;
            await using var overlayFile = spec.Overlays ? ScratchFile.Create() : null;
            await using var original = spec.Overlays ? await files.Storage.OpenReadAsync(spec.Input, stitch.Image, cancellationToken) : null;
            var outputs = new StitchOutputs(maskFile, probabilityFile, overlayFile);
            var image = await Task.Run(() => _stitcher.StitchAsync(stitch.Image, stitch.Bands, OpenPartAsync, original, outputs, cancellationToken), cancellationToken);
            StageMetrics.RecordDuration(PipelineStage.Encode, device, image.Times.Encode);

            var mask = OutputNames.For(OutputNames.Masks, stitch.Image);
            await files.WriteAsync(spec.Output, mask, maskFile, cancellationToken);
            if (probabilityFile is not null)
            {
                await files.WriteAsync(spec.Output, OutputNames.For(OutputNames.Probabilities, stitch.Image), probabilityFile, cancellationToken);
            }

            if (overlayFile is not null)
            {
                await files.WriteAsync(spec.Output, OutputNames.For(OutputNames.Overlays, stitch.Image), overlayFile, cancellationToken);
            }

            metrics.ImageCompleted(device);
            var summary = ImageSummaries.Of(image.Width, image.Height, image.Tiles, image.Summary, image.Quality, mask, DateTimeOffset.UtcNow - started);
            return ((ImageResult)new ImageSegmented { Name = stitch.Image, Summary = summary, Silo = silo }, 0);
        }, cancellationToken);
        return result;

        Task<Stream> OpenPartAsync(int index, CancellationToken ct) =>
            files.Storage.OpenReadAsync(spec.Output, OutputNames.BandPart(lease.JobId, stitch.Image, index), ct);
    }
}
