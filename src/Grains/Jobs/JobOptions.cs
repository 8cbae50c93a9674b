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

    /// <summary>
    /// How long a running job waits for a worker before its priority rises one step (<see cref="LeaseOrder"/>):
    /// a job d steps below the busiest one is first in line after d of these. Read by the job queue, so the
    /// silo it runs on decides.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Jobs:PriorityAgeing: how long a waiting job takes to rise one priority step, from {1} to {2} (default a minute).")]
    public TimeSpan PriorityAgeing { get; set; } = TimeSpan.FromMinutes(1);
}
