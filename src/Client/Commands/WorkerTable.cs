using System.Text.Json;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// The cluster's workers as <c>unetpp cluster</c> shows them: every figure with how old it is, and a
/// worker that stopped answering marked so, its figures kept as its last rather than shown as current.
/// </summary>
internal static class WorkerTable
{
    public static IEnumerable<string> Lines(IReadOnlyList<WorkerStatus> workers)
    {
        var siloWidth = Math.Max(4, workers.Max(w => w.Report.Silo.Length));
        yield return $"{"Silo".PadRight(siloWidth)}  {"Device",-8}  {"Shards",6}  {"Images",8}  {"Tiles/s",8}  Updated";
        foreach (var worker in workers)
        {
            var report = worker.Report;

            // A rate is about now: a worker that does not answer has none to show.
            var rate = worker.Answering ? StatusCommand.Invariant($"{report.TilesPerSecond:F1}") : "-";
            var updated = worker.Answering
                ? $"{Ago(worker.Age)} ago"
                : StatusCommand.Invariant($"not answering since {worker.Updated.UtcDateTime:HH:mm:ss} UTC ({Ago(worker.Age)})");
            yield return StatusCommand.Invariant(
                $"{report.Silo.PadRight(siloWidth)}  {report.Device,-8}  {report.Shards.Count,6}  {report.ImagesDone,8}  {rate,8}  {updated}");
        }

        var silos = workers.Select(w => w.Report.Silo).Distinct(StringComparer.Ordinal).Count();
        var silent = workers.Count(w => !w.Answering);
        yield return silent == 0
            ? $"{workers.Count} worker(s) on {silos} silo(s)."
            : $"{workers.Count} worker(s) on {silos} silo(s); {silent} not answering, shown with the figures of their last report.";
    }

    /// <summary>The workers as <c>--json</c> prints them: the job API's shape, indented.</summary>
    public static string ToJson(IReadOnlyList<WorkerStatus> workers) => JsonSerializer.Serialize(workers.Select(WorkerView.Of), StatusCommand.Indented);

    private static string Ago(TimeSpan age) =>
        age < TimeSpan.FromMinutes(2)
            ? StatusCommand.Invariant($"{Math.Max(0, (int)age.TotalSeconds)} s")
            : StatusCommand.Invariant($"{(int)age.TotalMinutes} min");
}
