using Microsoft.AspNetCore.Http.HttpResults;
using UNetPP.Cluster.Segmentation;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// The job API's refusals as RFC 9457 problems (<c>application/problem+json</c>): the status's own
/// type and title, and a <c>detail</c> of one line in the user's words, the line the command line
/// prints for the same mistake.
/// </summary>
internal static class ApiProblems
{
    /// <summary>A request the API will not carry out as it stands: the reason, without a .NET parameter name.</summary>
    public static ProblemHttpResult BadRequest(Exception refusal) => Problem(StatusCodes.Status400BadRequest, OptionValue.Reason(refusal));

    public static ProblemHttpResult UnknownJob(string jobId) =>
        Problem(StatusCodes.Status404NotFound, $"no job '{jobId}' in this cluster; GET /v1/jobs lists its jobs.");

    public static ProblemHttpResult Problem(int status, string detail) => TypedResults.Problem(detail: detail, statusCode: status);

    /// <summary>
    /// A detail for the problems the framework answers by itself under <c>/v1</c> (no such route, a
    /// method the route does not take, a body too large), which come without one.
    /// </summary>
    public static void Describe(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var request = context.HttpContext.Request;
        problem.Detail ??= problem.Status switch
        {
            StatusCodes.Status404NotFound => $"{request.Method} {request.Path}: the job API has no such route; /openapi/v1.json lists its routes.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Path} does not take {request.Method}; /openapi/v1.json lists the methods of each route.",
            _ => null,
        };
    }
}
