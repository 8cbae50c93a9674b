using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// Who may call the job API, and how often. One authorization policy per <see cref="ApiRight"/>; an
/// endpoint names the right it needs with <see cref="RequireApiRight{TBuilder}"/>, which also puts it
/// under the API's rate limit. With no key and no token issuer set (<see cref="ApiSettings"/>) every
/// caller has every right, which the silo allows on loopback only.
/// </summary>
public static class ApiAccess
{
    /// <summary>The API's scheme: a key, or with <c>Api:Jwt</c> set a token, told apart by shape.</summary>
    private const string Scheme = "UNetPP-Api";

    private const string TokenScheme = "UNetPP-ApiToken";

    /// <summary>The policy that guards endpoints needing <paramref name="right"/>.</summary>
    public static string PolicyName(ApiRight right) => $"unetpp-api-{ApiRights.Name(right)}";

    /// <summary>Whether the job API is served (<c>Api:Enabled</c>, on unless set false): its routes are mapped only then.</summary>
    public static bool Enabled(IConfiguration configuration) => ApiSettings.From(configuration).Enabled;

    /// <summary>
    /// Checks the API's settings, and refuses an API open to anyone on a silo whose HTTP reaches beyond
    /// loopback, before anything binds; then registers the policies, the keys and tokens they accept,
    /// problem+json refusals and the rate limit.
    /// </summary>
    public static IHostApplicationBuilder AddApiAccess(this IHostApplicationBuilder builder)
    {
        var settings = ApiSettings.From(builder.Configuration);
        if (settings.Problems(HttpAddresses.From(builder.Configuration)) is { Count: > 0 } problems)
        {
            throw new OptionsValidationException(ApiSettings.SectionName, typeof(ApiSettings), problems);
        }

        builder.Services.AddSingleton(settings);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiRefusals>();
        builder.Services.AddApiRateLimit(settings.RateLimit);
        if (!settings.Open)
        {
            AddCredentials(builder.Services, settings);
        }

        var authorization = builder.Services.AddAuthorizationBuilder();
        foreach (var right in Enum.GetValues<ApiRight>())
        {
            authorization.AddPolicy(PolicyName(right), policy =>
            {
                if (settings.Open)
                {
                    policy.RequireAssertion(_ => true);
                }
                else
                {
                    policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().AddRequirements(new ApiRightRequirement(right));
                }
            });
        }

        return builder;
    }

    /// <summary>Lets only callers holding <paramref name="right"/> reach the endpoint(s), each within its rate limit.</summary>
    public static TBuilder RequireApiRight<TBuilder>(this TBuilder endpoints, ApiRight right)
        where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireAuthorization(PolicyName(right)).RequireRateLimiting(ApiRateLimit.PolicyName);

    private static void AddCredentials(IServiceCollection services, ApiSettings settings)
    {
        var jwt = settings.Jwt;
        var authentication = services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null)
            .AddPolicyScheme(Scheme, null, o => o.ForwardDefaultSelector = context =>
                // A token is three dot-separated parts; a key (base64url) has no dot.
                jwt.Configured && ApiKeyAuthentication.Credential(context.Request) is { } credential && credential.Contains('.', StringComparison.Ordinal)
                    ? TokenScheme
                    : ApiKeyAuthentication.SchemeName);
        if (jwt.Configured)
        {
            authentication.AddJwtBearer(TokenScheme, o =>
            {
                o.Authority = jwt.Authority;
                o.Audience = jwt.Audience;
                o.RequireHttpsMetadata = !jwt.AuthorityIsLoopback;

                // Claims as the issuer wrote them (scope, scp, sub), not renamed to long URIs.
                o.MapInboundClaims = false;
                o.TokenValidationParameters.NameClaimType = ApiKeyAuthentication.NameClaim;
            });
        }
    }
}
