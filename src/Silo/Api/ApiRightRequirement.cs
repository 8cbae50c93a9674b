using Microsoft.AspNetCore.Authorization;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>An endpoint's need for one right, met by a caller whose key or token holds it (<see cref="ApiRights.Held"/>).</summary>
internal sealed class ApiRightRequirement(ApiRight right) : AuthorizationHandler<ApiRightRequirement>, IAuthorizationRequirement
{
    public ApiRight Right => right;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiRightRequirement requirement)
    {
        if (ApiRights.Held(context.User).Contains(requirement.Right))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
