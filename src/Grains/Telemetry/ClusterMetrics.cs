using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Telemetry;

namespace UNetPP.Cluster.Grains.Telemetry;

/// <summary>Why an image failed, in words few enough to be a metric label.</summary>
public static class FailureKind
{
    /// <summary>The input cannot be used: not an image, corrupt, too large, the wrong channels.</summary>
    public const string BadImage = "bad_image";

    public const string Model = "model";

    public const string Storage = "storage";

    public const string Other = "other";
}

/// <summary>
/// This silo's figures of the cluster's work, on the project's meter: images finished and failed
/// per device, leases its workers hold, and the jobs it coordinates with their progress and the
/// images they have waiting. Each job is counted by the one silo its coordinator lives on, so summing
/// over silos gives the cluster's jobs, and its work waiting, once.
/// </summary>
public sealed class ClusterMetrics
{
    private static readonly JobState[] States = Enum.GetValues<JobState>().Where(s => s != JobState.Unknown).ToArray();

    private readonly Counter<long> _completed;
    private readonly Counter<long> _failed;
    private readonly ConcurrentDictionary<string, JobStatus> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<int>> _leases = new(StringComparer.Ordinal);

    public ClusterMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ClusterTelemetry.Name);
        _completed = meter.CreateCounter<long>("unetpp.images.completed", unit: "{image}", description: "Images segmented, their masks written.");
        _failed = meter.CreateCounter<long>("unetpp.images.failed", unit: "{image}", description: "Attempts at an image that failed, by reason (a retried image may count more than once).");
        meter.CreateObservableGauge("unetpp.leases.held", () => _leases.Select(l => new Measurement<int>(l.Value(), Tag("device", l.Key))),
            unit: "{shard}", description: "Shards this silo's workers hold now.");
        meter.CreateObservableGauge("unetpp.jobs", ObserveJobs, unit: "{job}", description: "Jobs this silo coordinates, by state.");
        meter.CreateObservableGauge("unetpp.job.images", ObserveJobImages, unit: "{image}", description: "Images of each job this silo coordinates: total, done, failed, in progress.");
        meter.CreateObservableGauge("unetpp.images.waiting", ObserveWaiting, unit: "{image}",
            description: "Images of each job that no worker holds yet (none once it has ended or been cancelled): the work waiting for a device. "
                + "The silo coordinating a job reports it (two, for a moment, while its coordinator moves): the cluster's is sum(max by (job_id) (unetpp_images_waiting)).");
        meter.CreateObservableGauge("unetpp.job.progress_ratio", () => _jobs.Values.Select(j => new Measurement<double>(Progress(j), Tag("job_id", j.JobId))),
            unit: "1", description: "Fraction of each job's images finished (done or failed).");
    }

    public void ImageCompleted(string device) => _completed.Add(1, Tag("device", device));

    public void ImageFailed(string device, string kind, int images = 1) => _failed.Add(images, Tag("device", device), Tag("reason", kind));

    /// <summary>Counts a worker's held shards under its device until the returned handle is disposed.</summary>
    public IDisposable TrackLeases(string device, Func<int> held)
    {
        _leases[device] = held;
        return new Untrack(() => _leases.TryRemove(device, out _));
    }

    public void JobChanged(JobStatus status) => _jobs[status.JobId] = status;

    /// <summary>The job's coordinator left this silo (deactivated or moved).</summary>
    public void JobGone(string jobId) => _jobs.TryRemove(jobId, out _);

    /// <summary>The state names as Prometheus labels: <c>CompletedWithFailures</c> → <c>completed_with_failures</c>.</summary>
    public static string Label(JobState state) =>
        string.Concat(state.ToString().Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>
    /// Images of a job that no worker holds: neither finished nor leased. A cancelled job leases no
    /// more, so it has none waiting; nor has one still planning, whose images are not counted yet.
    /// </summary>
    public static int Waiting(JobStatus job) =>
        job.State == JobState.Running && !job.Cancelling ? Math.Max(0, job.Total - job.Done - job.Failed - job.InProgress) : 0;

    private static double Progress(JobStatus job) => job.Total > 0 ? Math.Clamp((job.Done + job.Failed) / (double)job.Total, 0, 1) : job.IsFinished ? 1 : 0;

    private IEnumerable<Measurement<int>> ObserveJobs()
    {
        var jobs = _jobs.Values.ToList();
        return States.Select(state => new Measurement<int>(jobs.Count(j => j.State == state), Tag("state", Label(state))));
    }

    private IEnumerable<Measurement<int>> ObserveWaiting() =>
        _jobs.Values.Select(j => new Measurement<int>(Waiting(j), Tag("job_id", j.JobId)));

    private IEnumerable<Measurement<int>> ObserveJobImages()
    {
        foreach (var job in _jobs.Values)
        {
            var id = Tag("job_id", job.JobId);
            yield return new Measurement<int>(job.Total, id, Tag("state", "total"));
            yield return new Measurement<int>(job.Done, id, Tag("state", "done"));
            yield return new Measurement<int>(job.Failed, id, Tag("state", "failed"));
            yield return new Measurement<int>(job.InProgress, id, Tag("state", "in_progress"));
        }
    }

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    private sealed class Untrack(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
