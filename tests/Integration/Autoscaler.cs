using System.Diagnostics;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// The scaling rules of deploy/kubernetes/autoscale/scaledobject.yaml, at a test's scale: silos wanted =
/// images waiting over <see cref="ImagesPerSilo"/>, rounded up, between <see cref="Min"/> and <see cref="Max"/>.
/// </summary>
/// <param name="ScaleInAfter">Polls in a row that must want fewer silos before one is stopped (the scale-down stabilisation).</param>
public sealed record ScalingRules(int Min, int Max, int ImagesPerSilo, TimeSpan Poll, int ScaleInAfter)
{
    public int Wanted(double waiting) => Math.Clamp((int)Math.Ceiling(waiting / ImagesPerSilo), Min, Max);
}

/// <summary>One poll of the scaler: when, how many silos counted as capacity, the work waiting, and what it did.</summary>
public sealed record ScalingStep(TimeSpan At, int Silos, double Waiting, string? Action);

/// <summary>
/// Plays KEDA's Prometheus scaler against real silo processes: it reads <c>unetpp_images_waiting</c>
/// from every running silo's <c>/metrics</c> and sums each job's largest, as the ScaledObject's query does; starts one
/// silo at a time while more are wanted, counting it only once its <c>/readyz</c> is green, and polls on
/// meanwhile; and stops
/// the newest silo with SIGTERM, as a Deployment scaling in does, once fewer have been wanted for a while.
/// </summary>
public sealed class Autoscaler(SiloCluster cluster, ScalingRules rules) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<ScalingStep> _steps = [];
    private readonly List<(SiloProcess Silo, Task<int> Exit)> _stopped = [];
    private int _wantFewer;
    private volatile Task<SiloProcess>? _starting;

    /// <summary>Every poll so far.</summary>
    public IReadOnlyList<ScalingStep> Steps => _steps;

    /// <summary>Silos stopped with SIGTERM, with their exit codes once they have exited.</summary>
    public IReadOnlyList<(SiloProcess Silo, Task<int> Exit)> Stopped
    {
        get
        {
            lock (_stopped)
            {
                return [.. _stopped];
            }
        }
    }

    /// <summary>
    /// The polls in which more than one silo reported a job, and which silos: a job whose coordinator moves
    /// is scraped on both silos within one round, and Orleans may run it on two while silos join or leave.
    /// </summary>
    public IReadOnlyList<(TimeSpan At, string JobId, IReadOnlyList<string> Silos)> ReportedByTwo => _reportedByTwo;

    private readonly List<(TimeSpan, string, IReadOnlyList<string>)> _reportedByTwo = [];

    /// <summary>Whether a silo is starting: not yet ready, so not yet capacity.</summary>
    public bool Starting => _starting is not null;

    /// <summary>The silos that count as capacity: running, ready (started ones are), and not told to stop.</summary>
    public IReadOnlyList<SiloProcess> Capacity => [.. cluster.Silos.Where(s => !s.HasExited && !Stopped.Any(x => x.Silo == s))];

    /// <summary>Polls until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await StepAsync(cancellationToken);
                await Task.Delay(rules.Poll, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Told to stop; a silo still starting is the cluster's to stop with the rest.
            if (_starting is { } starting)
            {
                await ((Task)starting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>The silo count over time: each change, from the first poll.</summary>
    public string Timeline() =>
        string.Join(", ", _steps.Where((s, i) => i == 0 || s.Silos != _steps[i - 1].Silos)
            .Select(s => FormattableString.Invariant($"{s.At.TotalSeconds:F1} s: {s.Silos}")));

    public void Dispose() => _http.Dispose();

    private async Task StepAsync(CancellationToken cancellationToken)
    {
        var at = _clock.Elapsed;
        var waiting = await ScrapeWaitingAsync(at, cancellationToken);
        var actions = new List<string>();
        if (_starting is { IsCompleted: true } started)
        {
            // A start that failed fails the run.
            actions.Add($"{(await started).Name} ready");
            _starting = null;
        }

        var capacity = Capacity;
        var wanted = rules.Wanted(waiting);
        _wantFewer = wanted < capacity.Count ? _wantFewer + 1 : 0;
        if (wanted > capacity.Count && _starting is null)
        {
            // The silo joins the cluster's list once its /readyz is green: until then it is not capacity, and no other starts.
            _starting = cluster.AddSiloAsync(cancellationToken);
            actions.Add("starting a silo");
        }
        else if (_wantFewer >= rules.ScaleInAfter && _starting is null)
        {
            var newest = capacity[^1];
            lock (_stopped)
            {
                _stopped.Add((newest, newest.StopAsync(TimeSpan.FromSeconds(60))));
            }

            _wantFewer = 0;
            actions.Add($"SIGTERM {newest.Name}");
        }

        _steps.Add(new ScalingStep(at, Capacity.Count, waiting, actions.Count > 0 ? string.Join("; ", actions) : null));
    }

    /// <summary>
    /// The ScaledObject's query over every running silo (a stopping one too: it still coordinates its jobs
    /// while its workers drain): each job's largest <c>unetpp_images_waiting</c>, summed over jobs. A silo
    /// that does not answer counts nothing, as a target Prometheus cannot scrape.
    /// </summary>
    private async Task<double> ScrapeWaitingAsync(TimeSpan at, CancellationToken cancellationToken)
    {
        var series = new List<(string Silo, Sample Sample)>();
        foreach (var silo in cluster.Silos.Where(s => !s.HasExited))
        {
            try
            {
                var text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.HttpPort}/metrics"), cancellationToken);
                series.AddRange(PrometheusText.Parse(text).Where(s => s.Name == "unetpp_images_waiting").Select(s => (silo.Name, s)));
            }
            catch (HttpRequestException)
            {
                // Leaving, or gone between the check and the request.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Too slow to answer: Prometheus would time the scrape out too.
            }
        }

        var jobs = series.GroupBy(s => s.Sample.Labels["job_id"], StringComparer.Ordinal).ToList();
        _reportedByTwo.AddRange(jobs.Where(g => g.Count() > 1).Select(g => (at, g.Key, (IReadOnlyList<string>)[.. g.Select(s => s.Silo)])));
        return jobs.Sum(g => g.Max(s => s.Sample.Value));
    }
}
