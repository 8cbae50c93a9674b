using System.ComponentModel.DataAnnotations;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>How coordinators keep jobs (section <c>Jobs</c>).</summary>
public sealed class JobOptions
{
    public const string SectionName = "Jobs";

    /// <summary>
    /// About how many images one page of a job's plan holds (rounded up to whole shards). A
    /// completion rewrites its page, so this bounds each write; the job grain keeps a few counts per
    /// page. Read when a job is planned: a running job keeps its pages.
    /// </summary>
    [Range(1, 65536)]
    public int ImagesPerPage { get; set; } = 256;
}
