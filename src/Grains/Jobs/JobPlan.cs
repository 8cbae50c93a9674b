using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>A job's shards, made from the listing of its input.</summary>
public sealed record JobPlan(List<ShardRecord> Shards, int Total, IReadOnlyList<ImageFailure> Refused)
{
    public static async Task<JobPlan> CreateAsync(JobSpec spec, IDatasetStorage datasets, CancellationToken cancellationToken)
    {
        var images = await datasets.ListImagesAsync(spec.Input, cancellationToken);
        if (images.Count == 0)
        {
            throw new InvalidOperationException("no PNG, JPEG or TIFF images there.");
        }

        // Two inputs whose masks would share a name (a.png and a.tif) cannot both be written:
        // the first in name order keeps it, the other is refused with the reason.
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var refused = new List<ImageFailure>();
        var accepted = new List<string>();
        foreach (var image in images)
        {
            var mask = OutputNames.For(OutputNames.Masks, image);
            if (ObjectNames.WhyRefused(mask) is { } problem)
            {
                // Refused now, with the reason, rather than after the image has been through the device.
                refused.Add(new ImageFailure(image, $"its mask name cannot be written: {problem}"));
                continue;
            }

            if (owners.TryGetValue(mask, out var owner))
            {
                refused.Add(new ImageFailure(image, $"its mask name {mask} is already taken by {owner}"));
                continue;
            }

            owners[mask] = image;
            accepted.Add(image);
        }

        var shards = accepted.Chunk(spec.ShardSize)
            .Select((chunk, index) => new ShardRecord { Id = index, Images = [.. chunk] })
            .ToList();
        return new JobPlan(shards, images.Count, refused);
    }
}
