using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>
/// An OpenID issuer as small as one can be, on a free loopback port of this process: its discovery
/// document and the public half of an RSA key it made, which signs the tokens it hands out.
/// </summary>
internal sealed class OpenIdIssuer : IAsyncDisposable
{
    private const string KeyId = "unetpp-tests";
    private static readonly string[] Algorithms = ["RS256"];

    private readonly WebApplication _app;
    private readonly RSA _key;

    private OpenIdIssuer(WebApplication app, RSA key, string authority)
    {
        _app = app;
        _key = key;
        Authority = authority;
    }

    /// <summary>Where the silo finds it (<c>Api:Jwt:Authority</c>), and what it writes as a token's issuer.</summary>
    public string Authority { get; }

    public static async Task<OpenIdIssuer> StartAsync()
    {
        var key = RSA.Create(2048);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var parameters = key.ExportParameters(includePrivateParameters: false);
        var jwks = new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = Base64Url.EncodeToString(parameters.Modulus), e = Base64Url.EncodeToString(parameters.Exponent) } } };
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Address(app),
            ["jwks_uri"] = $"{Address(app)}/jwks",
            ["id_token_signing_alg_values_supported"] = Algorithms,
        }));
        app.MapGet("/jwks", () => Results.Json(jwks));
        await app.StartAsync();
        return new OpenIdIssuer(app, key, Address(app));
    }

    /// <summary>A token for <paramref name="audience"/> with <paramref name="scope"/>, valid from now for an hour unless <paramref name="expired"/>.</summary>
    /// <param name="signer">Another key to sign with, so the silo cannot check the signature; null for the issuer's own.</param>
    public string Token(string audience, string scope, bool expired = false, RSA? signer = null)
    {
        var now = DateTime.UtcNow;
        var issued = expired ? now.AddHours(-2) : now;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Authority,
            Audience = audience,
            IssuedAt = issued,
            NotBefore = issued,
            Expires = issued.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = "lab-dashboard", ["scope"] = scope },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signer ?? _key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }

    private static string Address(WebApplication app) => app.Urls.Single();
}
