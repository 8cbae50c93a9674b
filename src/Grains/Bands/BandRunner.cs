using System.Diagnostics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Grains.Bands;

/// <summary>
/// Runs a band shard: segments one band of a large image, streamed from storage, into a band part
/// in a scratch file that is then stored as it is read, so neither the image nor the band is ever
/// held whole.
/// </summary>
public sealed class BandRunner(ShardFiles files, ImageAttempt attempt, string silo)
{
    /// <returns>The band's result, and the grid tiles inferred for it (those on its cuts included).</returns>
    /// <param name="leased">When the band's shard was leased: the image's time runs from its first band's.</param>
    public Task<(ImageResult Result, int Tiles)> RunAsync(SegmentationEngine engine, ShardLease lease, BandWork band, DateTimeOffset leased, CancellationToken cancellationToken)
    {
        var spec = lease.Spec;
        return attempt.RunAsync(band.Image, async () =>
        {
            Activity.Current?.SetTag("unetpp.band", $"{band.Index + 1} of {band.Count}");
            var truth = await files.GroundTruthAsync(spec, band.Image, cancellationToken);
            await using var image = await files.Storage.OpenReadAsync(spec.Input, ImagePlane.FileOf(band.Image), cancellationToken);
            await using var part = ScratchFile.Create();
            var rows = new PixelRect(0, band.Top, band.Width, band.Height);

            // Off the caller's thread: the image is decoded as it streams in, with blocking reads.
            var tiles = await Task.Run(() => engine.SegmentBandAsync(band.Image, image, rows, truth, part, cancellationToken, band.Intensity is { } i ? (i.Offset, i.Divisor) : null), cancellationToken);
            await files.WriteAsync(spec.Output, OutputNames.BandPart(lease.JobId, band.Image, band.Index), part, cancellationToken);
            return ((ImageResult)new BandStored { Name = band.Image, Index = band.Index, Silo = silo, Leased = leased }, tiles);
        }, cancellationToken);
    }
}
