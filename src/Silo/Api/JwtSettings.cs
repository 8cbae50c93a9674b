namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// Bearer tokens from an OpenID issuer (section <c>Api:Jwt</c>): tokens that <see cref="Authority"/>
/// signed for <see cref="Audience"/> are accepted, with the rights of their <c>unetpp.*</c> scopes.
/// </summary>
public sealed class JwtSettings
{
    /// <summary>The issuer; its keys come from <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string? Authority { get; private init; }

    /// <summary>The audience the issuer puts in tokens meant for this API (its identifier there).</summary>
    public string? Audience { get; private init; }

    public bool Configured => Authority is not null || Audience is not null;

    /// <summary>Whether the issuer is on this machine, the one place its keys may be fetched over plain http.</summary>
    public bool AuthorityIsLoopback => Uri.TryCreate(Authority, UriKind.Absolute, out var uri) && uri.IsLoopback;

    internal static JwtSettings From(IConfigurationSection section, List<string> problems)
    {
        var read = new SettingReader(section, problems);
        read.OnlyThese(nameof(Authority), nameof(Audience));
        var settings = new JwtSettings { Authority = read.Text(nameof(Authority)), Audience = read.Text(nameof(Audience)) };
        if (settings.Authority is { } authority)
        {
            if (!Uri.TryCreate(authority, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            {
                problems.Add($"{read.Setting(nameof(Authority))} '{authority}' is not an absolute https URL of an OpenID issuer.");
            }
            else if (uri.Scheme == "http" && !settings.AuthorityIsLoopback)
            {
                problems.Add($"{read.Setting(nameof(Authority))} '{authority}': use https; plain http only for an issuer on this machine (127.0.0.1, [::1] or localhost).");
            }

            if (settings.Audience is null)
            {
                problems.Add($"{read.Setting(nameof(Audience))} is missing: name the audience the issuer puts in tokens for this API (its identifier there, api://unetpp say).");
            }
        }
        else if (settings.Audience is not null)
        {
            problems.Add($"{read.Setting(nameof(Authority))} is missing: name the OpenID issuer whose tokens carry {read.Setting(nameof(Audience))} (https://login.example.org/realms/lab, say).");
        }

        return settings;
    }
}
