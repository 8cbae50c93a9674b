using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation.Bands;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Grains.Bands;

/// <summary>
/// Runs a stitch shard: joins a large image's band parts in one pass, read one after another, into
/// its mask, probability map and overlay, written row by row to scratch files, then to storage; the
/// image's manifest is removed before they are written and written after them, with the input's
/// hash taken by streaming it.
/// </summary>
public sealed class StitchRunner(ShardFiles files, ImageManifests manifests, ImageAttempt attempt, ClusterMetrics metrics, string device, string silo, ILogger logger)
{
    private readonly BandStitcher _stitcher = new(new MaskWriter(new OverlayOptions()), new ImageDecoder(new ImageDecoderOptions()));
    private readonly ImageDecoder _decoder = new(new ImageDecoderOptions());

    /// <param name="engine">The engine the bands ran with, for the manifest's model and tile.</param>
    /// <param name="leased">When the stitch was leased; the image's time runs from its first band's lease when the page knows it.</param>
    public async Task<ImageResult> RunAsync(SegmentationEngine engine, ShardLease lease, StitchWork stitch, DateTimeOffset leased, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        var started = stitch.FirstBandLeased ?? leased;
        var (result, _) = await attempt.RunAsync(stitch.Image, async () =>
        {
            await using var maskFile = ScratchFile.Create();
            await using var probabilityFile = spec.Probabilities ? ScratchFile.Create() : null;
            await using var overlayFile = spec.Overlays ? ScratchFile.Create() : null;
            await using var original = spec.Overlays ? await files.Storage.OpenReadAsync(spec.Input, ImagePlane.FileOf(stitch.Image), cancellationToken) : null;
            await using var labelsFile = spec.Instances ? ScratchFile.Create() : null;
            await using var tableFile = spec.Objects ? ScratchFile.Create() : null;
            await using var geoJsonFile = spec.GeoJson ? ScratchFile.Create() : null;
            await using var samples = spec.Objects || spec.GeoJson ? await files.Storage.OpenReadAsync(spec.Input, ImagePlane.FileOf(stitch.Image), cancellationToken) : null;
            var truth = await files.GroundTruthAsync(spec, stitch.Image, cancellationToken);
            var truthKind = truth is null ? null : GroundTruthRows.KindOf(_decoder, truth, engine.Model.Card.Classes);
            var instanceTruth = truthKind is { InstanceLabels: true };
            var outputs = new StitchOutputs(maskFile, probabilityFile, overlayFile)
            {
                Format = engine.MaskFormat,
                PixelSize = engine.MaskFormat == MaskFormat.Png && samples is null ? null : await PixelSizeAsync(spec, stitch.Image, cancellationToken),
                OverlayChannels = engine.Channels,
                // Instance labels alone are scored against objects that go to no file.
                Objects = spec.FindsObjects || instanceTruth ? new ObjectStreams(labelsFile, tableFile, geoJsonFile) : null,
                ObjectSettings = engine.ObjectSettings,
                ObjectSamples = samples,
                ObjectTruth = instanceTruth ? truth : null,
            };
            var image = await Task.Run(() => _stitcher.StitchAsync(stitch.Image, stitch.Bands, OpenPartAsync, original, outputs, cancellationToken), cancellationToken);
            StageMetrics.RecordDuration(PipelineStage.Encode, device, image.Times.Encode);

            await manifests.RemoveAsync(spec.Output, stitch.Image, cancellationToken);
            var written = new Dictionary<string, long>(StringComparer.Ordinal);
            var mask = OutputNames.For(OutputNames.Masks, stitch.Image, engine.MaskFormat);
            await WriteAsync(mask, maskFile);
            if (probabilityFile is not null)
            {
                await WriteAsync(OutputNames.For(OutputNames.Probabilities, stitch.Image, engine.MaskFormat), probabilityFile);
            }

            if (overlayFile is not null)
            {
                await WriteAsync(OutputNames.For(OutputNames.Overlays, stitch.Image), overlayFile);
            }

            if (labelsFile is not null)
            {
                await WriteAsync(OutputNames.InstancesOf(image.Objects!.LabelFile), labelsFile);
            }

            if (tableFile is not null)
            {
                await WriteAsync(OutputNames.ObjectPartOf(stitch.Image), tableFile);
            }

            if (geoJsonFile is not null)
            {
                await WriteAsync(OutputNames.GeoJsonOf(stitch.Image), geoJsonFile);
            }

            metrics.ImageCompleted(device);
            var summary = ImageSummaries.Of(image.Width, image.Height, image.Tiles, image.Summary, image.Quality, mask, DateTimeOffset.UtcNow - started)
                .With(truthKind, image.Objects?.Scores) with
                {
                    Warning = image.Warning,
                    LabelImage = labelsFile is null ? null : OutputNames.InstancesOf(image.Objects!.LabelFile),
                };
            if (image.Warning is { } warning)
            {
                ImagesRunner.LogImageWarning(logger, stitch.Image, warning);
            }

            await using var input = await files.Storage.OpenReadAsync(spec.Input, ImagePlane.FileOf(stitch.Image), cancellationToken);
            var (inputBytes, inputSha) = await ImageManifests.HashAsync(input, cancellationToken);
            await manifests.WriteAsync(spec.Output, ImageManifests.Describe(spec, stitch.Image, inputBytes, inputSha, engine, written, summary, lease.JobId), cancellationToken);
            return ((ImageResult)new ImageSegmented { Name = stitch.Image, Summary = summary, Silo = silo }, 0);

            async Task WriteAsync(string output, FileStream content)
            {
                await files.WriteAsync(spec.Output, output, content, cancellationToken);
                written[output] = content.Length;
            }
        }, cancellationToken);
        return result;

        Task<Stream> OpenPartAsync(int index, CancellationToken ct) =>
            files.Storage.OpenReadAsync(spec.Output, OutputNames.BandPart(lease.JobId, stitch.Image, index), ct);
    }

    /// <summary>The input's pixel size, from its header: only the first bytes of the image are fetched.</summary>
    private async Task<PhysicalPixelSize?> PixelSizeAsync(JobSpec spec, string image, CancellationToken cancellationToken)
    {
        await using var input = await files.Storage.OpenReadAsync(spec.Input, ImagePlane.FileOf(image), cancellationToken);
        return PhysicalPixelSize.Of(input);
    }
}
