using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// <c>GET /v1/jobs/{id}/events</c>: a job followed as Server-Sent Events, so a notebook or a page sees it
/// move without polling. <c>status</c> (the job's status) at once and whenever its counts or state change,
/// <c>failure</c> once for each failed image as the status lists it, and <c>end</c> (the final status) when
/// the job has ended, after which the stream closes. Each event's id is <c>processed:failuresSent</c>: a
/// client that comes back with it as <c>Last-Event-ID</c> gets no failure it has had, a fresh status,
/// and the end if it came meanwhile. The silo follows the job by asking its grain (a cheap, interleaved
/// call) twice a second, and stops when the client goes or the silo stops.
/// </summary>
internal sealed class JobEvents(SegmentationClient jobs, JobStatus first, int failuresSent, IHostApplicationLifetime lifetime) : IResult
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the stream may stay silent before a comment keeps proxies from closing it.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>How long a client waits before it reconnects, in milliseconds.</summary>
    private const int Retry = 2000;

    public static void Map(RouteGroupBuilder jobs) =>
        jobs.MapGet("/{id}/events", OpenAsync)
            .RequireApiRight(ApiRight.Read)
            .WithName("FollowJob")
            .WithSummary("Follow a job as Server-Sent Events")
            .WithDescription(
                "text/event-stream: 'retry: 2000', then 'status' (data: the job's status, as GET /v1/jobs/{id}) at once and whenever its counts or state change; "
                + "'failure' (data: {\"name\", \"reason\"}) once for each failed image the status lists (the first 100; report.json has every one); "
                + "'end' (data: the final status) when the job has ended, after which the stream closes. Each event's id is 'processed:failuresSent' "
                + "(processed = done + failed + leftOut; done counts the skipped): reconnecting with it as Last-Event-ID sends no failure already sent, a fresh status, and the end if the job has ended. "
                + "A ': keep-alive' comment comes after 15 s without an event.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<JobEvents, ProblemHttpResult>> OpenAsync(
        [Description("The job id.")] string id,
        [FromHeader(Name = "Last-Event-ID")][Description("The id of the last event a client had, to resume after a dropped connection.")] string? lastEventId,
        SegmentationClient jobs,
        IHostApplicationLifetime lifetime)
    {
        var status = await jobs.GetStatusAsync(id);
        return status.State == JobState.Unknown
            ? ApiProblems.UnknownJob(id)
            : new JobEvents(jobs, status, FailuresSent(lastEventId), lifetime);
    }

    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";

        // Proxies that buffer (nginx) pass each event on at once.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // A silo that stops closes its streams at once, rather than holding its shutdown; clients reconnect elsewhere.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var writer = new Writer(response, stop.Token);
        try
        {
            await writer.SendAsync(FormattableString.Invariant($"retry: {Retry}\n\n"));
            await FollowAsync(writer, stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && stop.IsCancellationRequested)
        {
            // The client went away, or the silo is stopping.
        }
    }

    private async Task FollowAsync(Writer writer, CancellationToken cancellationToken)
    {
        var status = first;
        var sent = failuresSent;
        Progress? shown = null;
        while (true)
        {
            var progress = Progress.Of(status);
            if (progress != shown)
            {
                await writer.EventAsync("status", Id(status, sent), JobView.Of(status));
                shown = progress;
            }

            foreach (var failure in status.Failures.Skip(sent))
            {
                sent++;
                await writer.EventAsync("failure", Id(status, sent), failure);
            }

            if (status.IsFinished)
            {
                await writer.EventAsync("end", Id(status, sent), JobView.Of(status));
                return;
            }

            await Task.Delay(Poll, cancellationToken);
            if (writer.Silent >= KeepAlive)
            {
                await writer.SendAsync(": keep-alive\n\n");
            }

            status = await jobs.GetStatusAsync(status.JobId);
        }
    }

    private static string Id(JobStatus status, int failuresSent) =>
        FormattableString.Invariant($"{status.Done + status.Failed + status.LeftOut}:{failuresSent}");

    /// <summary>The failures a reconnecting client has had, from the id of its last event; none when it gives no id of ours.</summary>
    private static int FailuresSent(string? lastEventId) =>
        lastEventId?.Split(':') is [_, var sent] && int.TryParse(sent, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;

    /// <summary>What a status event is sent for: the counts and the state, not the rate, which moves with the clock.</summary>
    private sealed record Progress(JobState State, int Total, int Done, int Failed, int InProgress, int Skipped, int LeftOut, bool Cancelling, string? Error)
    {
        public static Progress Of(JobStatus status) =>
            new(status.State, status.Total, status.Done, status.Failed, status.InProgress, status.Skipped, status.LeftOut, status.Cancelling, status.Error);
    }

    /// <summary>Writes events to the response, each flushed at once, and knows how long it has been silent.</summary>
    private sealed class Writer(HttpResponse response, CancellationToken cancellationToken)
    {
        private long _lastSent = Environment.TickCount64;

        public TimeSpan Silent => TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastSent);

        /// <summary>One event; its data is one line of JSON, as the status endpoint gives it.</summary>
        public Task EventAsync<T>(string name, string id, T data) =>
            SendAsync($"event: {name}\nid: {id}\ndata: {JsonSerializer.Serialize(data, JsonSerializerOptions.Web)}\n\n");

        public async Task SendAsync(string text)
        {
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
            _lastSent = Environment.TickCount64;
        }
    }
}
