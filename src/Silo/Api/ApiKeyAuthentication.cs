using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// API keys, checked against the hashes of <c>Api:Keys</c>. A caller sends its key as
/// <c>Authorization: Bearer KEY</c> and in no other header: proxies, HTTP libraries and log redaction
/// already treat that header as a secret, where an <c>X-Api-Key</c> would be logged by whatever does
/// not know it; and a client moves between a key and a token without changing how it sends them.
/// </summary>
internal sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiSettings settings)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "UNetPP-ApiKey";

    /// <summary>The claim that names the caller: the key's name here, the token's subject for tokens.</summary>
    public const string NameClaim = "sub";

    /// <summary>What the request carries after <c>Authorization: Bearer</c>, or null.</summary>
    public static string? Credential(HttpRequest request) =>
        AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
        && string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
        && !string.IsNullOrWhiteSpace(header.Parameter)
            ? header.Parameter.Trim()
            : null;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Credential(Request) is not { } presented)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var hash = ApiKey.HashBytes(presented);
        ApiKeySettings? holder = null;

        // Every key is compared, so how long this takes does not say which one came close.
        foreach (var key in settings.Keys.Values)
        {
            holder = key.Matches(hash) ? key : holder;
        }

        if (holder is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is none of Api:Keys."));
        }

        var identity = new ClaimsIdentity(
            [new Claim(NameClaim, holder.Name), .. holder.Rights.Select(r => new Claim("scope", ApiRights.Scope(r)))], SchemeName, NameClaim, roleType: null);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var refused = (await HandleAuthenticateOnceSafeAsync()).Failure is not null;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append("WWW-Authenticate", refused ? "Bearer realm=\"unetpp\", error=\"invalid_token\"" : "Bearer realm=\"unetpp\"");
    }
}
