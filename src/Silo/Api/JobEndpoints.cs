using System.ComponentModel;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// <c>/v1/jobs</c>: submit, list, follow, cancel and read the report of jobs, through the same
/// <see cref="SegmentationClient"/> calls and the same checks as <c>unetpp submit|list|status|cancel</c>.
/// </summary>
internal static class JobEndpoints
{
    public static void Map(IEndpointRouteBuilder v1)
    {
        var jobs = v1.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("", SubmitAsync)
            .RequireApiRight(ApiRight.Submit)
            .WithName("SubmitJob")
            .WithSummary("Start a job")
            .WithDescription("Checks the job as 'unetpp submit' does and starts it: 201 with its status and Location for a new job (or a new run of an ended one that resume or retryFailed continues); 200 with its status when a job was submitted under this id with the same fields before; 409 when the id is another job's; 400 with the command line's one-line reason for a mistake, before anything starts.")
            .Accepts<JobRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapGet("", ListAsync)
            .RequireApiRight(ApiRight.Read)
            .WithName("ListJobs")
            .WithSummary("List every job")
            .WithDescription("Every job the cluster knows, newest first, each with its state, priority and counts: what 'unetpp list --json' prints.");
        jobs.MapGet("/{id}", StatusAsync)
            .RequireApiRight(ApiRight.Read)
            .WithName("GetJob")
            .WithSummary("Where a job stands")
            .WithDescription("The job's state, counts and first failures: what 'unetpp status ID --json' prints.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapDelete("/{id}", CancelAsync)
            .RequireApiRight(ApiRight.Cancel)
            .WithName("CancelJob")
            .WithSummary("Cancel a job")
            .WithDescription("Stops handing out the job's work, as 'unetpp cancel' does, and answers once the images being written have landed and are counted (a few seconds at most). Their outputs stay. A job that has ended is left as it was.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id}/report", ReportAsync)
            .RequireApiRight(ApiRight.Read)
            .WithName("GetJobReport")
            .WithSummary("The job's report")
            .WithDescription("report.json as the job wrote it to its output when it ended: every image with its figures, and every failure with its reason. 409 while the job runs.")
            .Produces<JobReport>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        JobEvents.Map(jobs);
    }

    private static async Task<Results<Created<JobView>, Ok<JobView>, ProblemHttpResult>> SubmitAsync(HttpRequest request, SegmentationClient jobs)
    {
        JobSpec spec;
        string jobId;
        try
        {
            var job = await JobRequestBody.ReadAsync(request, request.HttpContext.RequestAborted);
            spec = job.ToSpec();
            jobId = job.JobId();
        }
        catch (Exception ex) when (ex is ArgumentException or ModelException)
        {
            return ApiProblems.BadRequest(ex);
        }

        // The same id again is the same job (a client retrying), unless the job has ended and this continues it: a new run.
        var before = await jobs.GetStatusAsync(jobId);
        var again = before.State != JobState.Unknown && !(before.IsFinished && spec.Continues);
        JobStatus status;
        try
        {
            status = await jobs.SubmitAsync(jobId, spec);
        }
        catch (ArgumentException ex) when (again)
        {
            // A job already there refuses a submission only for being different from it.
            return ApiProblems.Problem(StatusCodes.Status409Conflict, ex.Message);
        }
        catch (ArgumentException ex)
        {
            return ApiProblems.BadRequest(ex);
        }

        return again ? TypedResults.Ok(JobView.Of(status)) : TypedResults.Created(JobPath(jobId), JobView.Of(status));
    }

    private static async Task<Ok<List<JobView>>> ListAsync(SegmentationClient jobs) =>
        TypedResults.Ok((await jobs.ListStatusesAsync()).Select(job => JobView.Of(job.Status, job.Entry.Submitted)).ToList());

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> StatusAsync([Description("The job id.")] string id, SegmentationClient jobs) =>
        await jobs.GetStatusAsync(id) is { State: not JobState.Unknown } status ? TypedResults.Ok(JobView.Of(status)) : ApiProblems.UnknownJob(id);

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelAsync([Description("The job id.")] string id, SegmentationClient jobs, CancellationToken cancellationToken)
    {
        if ((await jobs.GetStatusAsync(id)).State == JobState.Unknown)
        {
            return ApiProblems.UnknownJob(id);
        }

        return TypedResults.Ok(JobView.Of(await jobs.CancelAsync(id, cancellationToken)));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ReportAsync([Description("The job id.")] string id, SegmentationClient jobs)
    {
        var status = await jobs.GetStatusAsync(id);
        if (status.State == JobState.Unknown)
        {
            return ApiProblems.UnknownJob(id);
        }

        if (!status.IsFinished)
        {
            return ApiProblems.Problem(
                StatusCodes.Status409Conflict,
                $"job {id} is {status.State}: its {JobReport.FileName} is written when it ends; follow it at {JobPath(id)}/events.");
        }

        return await jobs.GetReportAsync(id) is { } report
            ? TypedResults.Text(report, "application/json", Encoding.UTF8)
            : ApiProblems.Problem(
                StatusCodes.Status404NotFound,
                $"job {id} has ended ({status.State}), but its output holds no {JobReport.FileName} of it{(status.Error is { } error ? $": {error}" : ".")}");
    }

    /// <summary>Where a job is found in the API.</summary>
    public static string JobPath(string jobId) => $"/v1/jobs/{Uri.EscapeDataString(jobId)}";
}
