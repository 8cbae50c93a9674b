using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// The job API's refusals as problem+json (RFC 9457): 401, with the scheme's <c>WWW-Authenticate</c>,
/// to a caller without a valid key or token; 403 to one without the right. Both are decided before
/// the endpoint runs, so they are the same whether or not the job asked for exists. Refusals of other
/// endpoints (the dashboard's) are left as the framework makes them.
/// </summary>
internal sealed class ApiRefusals : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _framework = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        await _framework.HandleAsync(next, context, policy, authorizeResult);
        if (context.Response.HasStarted || policy.Requirements.OfType<ApiRightRequirement>().FirstOrDefault() is not { } requirement)
        {
            return;
        }

        if (authorizeResult.Challenged)
        {
            var detail = context.Request.Headers.Authorization.Count == 0
                ? "Send an API key or token as Authorization: Bearer <key or token>."
                : "The API key or token was not accepted.";
            await TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "No valid API key or token").ExecuteAsync(context);
        }
        else if (authorizeResult.Forbidden)
        {
            var detail = $"This API key or token does not hold the right '{ApiRights.Name(requirement.Right)}'.";
            await TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Right not held").ExecuteAsync(context);
        }
    }
}
