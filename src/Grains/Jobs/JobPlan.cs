using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>One page of a plan: its shards, and the images of its run refused before any work.</summary>
[GenerateSerializer, Alias("unetpp.PagePlan")]
public sealed record PagePlan([property: Id(0)] List<ShardRecord> Shards, [property: Id(1)] List<ImageFailure> Refused);

/// <summary>A job's pages of shards, made from the listing of its input.</summary>
public sealed record JobPlan(IReadOnlyList<PagePlan> Pages, int Total)
{
    /// <summary>Lists the input and cuts it into pages of about <paramref name="imagesPerPage"/> images (whole shards).</summary>
    /// <param name="retry">
    /// With --retry-failed, the earlier job's failures: only they are segmented, the other images go in
    /// shards that skip them when current and leave them out otherwise.
    /// </param>
    public static async Task<JobPlan> CreateAsync(JobSpec spec, int imagesPerPage, IDatasetStorage datasets, IReadOnlyCollection<string>? retry, CancellationToken cancellationToken)
    {
        var images = await datasets.ListImagesAsync(spec.Input, cancellationToken);
        if (OutputPlacement.OutputInsideInput(spec) is { } output)
        {
            // The job's own results (and those of earlier runs) are not its images.
            images = [.. images.Where(name => !name.StartsWith(output, StringComparison.Ordinal))];
        }

        if (images.Count == 0)
        {
            throw new InvalidOperationException("no PNG, JPEG or TIFF images there.");
        }

        // Two inputs whose masks would share a name (a.png and a.tif) cannot both be written:
        // the first in name order keeps it, the other is refused with the reason.
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var refusals = new Dictionary<string, string>(StringComparer.Ordinal);
        var format = MaskFormats.Of(spec.MaskFormat);
        foreach (var image in images)
        {
            var mask = OutputNames.For(OutputNames.Masks, image, format);
            if (ObjectNames.WhyRefused(mask) is { } problem)
            {
                // Refused now, with the reason, rather than after the image has been through the device.
                refusals[image] = $"its mask name cannot be written: {problem}";
            }
            else if (owners.TryGetValue(mask, out var owner))
            {
                refusals[image] = $"its mask name {mask} is already taken by {owner}";
            }
            else
            {
                owners[mask] = image;
            }
        }

        var perPage = (int)Math.Min(int.MaxValue, ((long)imagesPerPage + spec.ShardSize - 1) / spec.ShardSize * spec.ShardSize);
        var again = retry?.ToHashSet(StringComparer.Ordinal);

        // A failed plane is done again by its name, on its file's page; the file's other planes are judged when the file is opened.
        var planesAgain = (retry ?? []).Select(ImagePlane.Parse).OfType<ImagePlane>().ToLookup(plane => plane.File, plane => plane.ToString(), StringComparer.Ordinal);
        var pages = images.Chunk(perPage).Select(run =>
        {
            var planned = run.Where(image => !refusals.ContainsKey(image)).ToList();
            var works = again is null
                ? planned.Chunk(spec.ShardSize).Select(chunk => new ImagesWork([.. chunk]))
                : planned.Where(again.Contains).Concat(planned.SelectMany(image => planesAgain[image])).Chunk(spec.ShardSize).Select(chunk => new ImagesWork([.. chunk]))
                    .Concat(planned.Where(image => !again.Contains(image)).Chunk(spec.ShardSize).Select(chunk => new ImagesWork([.. chunk]) { OnlyIfCurrent = true }));
            return new PagePlan(
                [.. works.Select((work, index) => new ShardRecord { Id = index, Work = work })],
                [.. run.Where(refusals.ContainsKey).Select(image => new ImageFailure(image, refusals[image]))]);
        });
        return new JobPlan([.. pages], images.Count);
    }
}
