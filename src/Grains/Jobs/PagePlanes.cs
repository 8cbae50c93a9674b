using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// The planes of a multi-plane file on its page: a worker that finds one names its chosen planes, and
/// each is added here as an image of its own, in shards of the job's size, on the file's page.
/// </summary>
internal static class PagePlanes
{
    /// <summary>Adds the planes of <paramref name="file"/> as images.</summary>
    /// <param name="onlyIfCurrent">With --retry-failed, the file was not among the failures: its planes are skipped when current, left out otherwise.</param>
    /// <returns>The planes that cannot be added, each with why: their failures.</returns>
    public static IReadOnlyList<(string Plane, string Reason)> Add(JobPageRecord page, string file, IReadOnlyList<string> planes, bool onlyIfCurrent)
    {
        var planned = page.Shards.SelectMany(s => s.Work.Images).ToHashSet(StringComparer.Ordinal);
        var masks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var image in planned)
        {
            masks.TryAdd(OutputNames.For(OutputNames.Masks, image), image);
        }

        var refused = new List<(string, string)>();
        var added = new List<string>();
        foreach (var plane in planes)
        {
            // With --retry-failed a failed plane is planned by name already, to be done again.
            if (planned.Contains(plane))
            {
                continue;
            }

            // A file named like a plane (x.z0.tif beside x.tif) would share its mask: the file keeps it.
            var mask = OutputNames.For(OutputNames.Masks, plane);
            if (masks.TryGetValue(mask, out var owner))
            {
                refused.Add((plane, $"its mask name {mask} is already taken by {owner}"));
                continue;
            }

            added.Add(plane);
        }

        page.Planes[file] = planes.Count;
        foreach (var chunk in added.Chunk(Math.Max(1, page.Rules!.ShardSize)))
        {
            page.Shards.Add(new ShardRecord { Id = page.Shards.Count, Work = new ImagesWork([.. chunk]) { OnlyIfCurrent = onlyIfCurrent } });
        }

        return refused;
    }
}
