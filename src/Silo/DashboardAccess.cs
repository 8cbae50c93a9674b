using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace UNetPP.Cluster.Silo;

/// <summary>
/// Who may open the Orleans dashboard (section <c>Dashboard</c>): with <c>Username</c> and
/// <c>Password</c> set, <c>/dashboard</c> asks for them by HTTP Basic authentication, which belongs
/// behind TLS (a reverse proxy or ingress) once the silo listens beyond loopback. The password
/// comes from configuration or the environment (<c>Dashboard__Password</c>), never the command line.
/// </summary>
public sealed class DashboardAccess
{
    public const string Scheme = "UNetPP-Dashboard";

    public string? Username { get; set; }

    public string? Password { get; set; }

    public bool Required => !string.IsNullOrEmpty(Username) || !string.IsNullOrEmpty(Password);

    public static DashboardAccess From(IConfiguration configuration) =>
        configuration.GetSection("Dashboard").Get<DashboardAccess>() ?? new DashboardAccess();

    /// <summary>Every problem with the settings, each naming its setting; none when they can be used.</summary>
    public IReadOnlyList<string> Problems() =>
        Required && (string.IsNullOrEmpty(Username) || string.IsNullOrEmpty(Password))
            ? ["Dashboard:Username and Dashboard:Password go together: set both to require them, or neither."]
            : [];

    /// <summary>Whether a user name and password are these, compared in constant time.</summary>
    public bool Accepts(string username, string password) =>
        Same(username, Username ?? "") & Same(password, Password ?? "");

    private static bool Same(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}

/// <summary>HTTP Basic authentication against <see cref="DashboardAccess"/>, for the dashboard's endpoints only.</summary>
internal sealed class DashboardAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, DashboardAccess access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return Task.FromResult(AuthenticateResult.Fail("The Basic credentials are not base64."));
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !access.Accepts(credentials[..colon], credentials[(colon + 1)..]))
        {
            return Task.FromResult(AuthenticateResult.Fail("Wrong user name or password."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, credentials[..colon])], DashboardAccess.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), DashboardAccess.Scheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Basic realm=\"unetpp dashboard\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }
}
