namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// The job API's settings (section <c>Api</c>): whether it is served, who may call it (API keys,
/// tokens from an OpenID issuer, or anyone while neither is set), and how often.
/// </summary>
public sealed class ApiSettings
{
    public const string SectionName = "Api";

    private IReadOnlyList<string> _unreadable = [];

    /// <summary>Whether the <c>/v1</c> routes and <c>/openapi</c> are served; metrics and health are served either way.</summary>
    public bool Enabled { get; private init; } = true;

    /// <summary>The API keys by name (<c>Api:Keys:NAME:Hash</c> and <c>Api:Keys:NAME:Rights</c>).</summary>
    public IReadOnlyDictionary<string, ApiKeySettings> Keys { get; private init; } = new Dictionary<string, ApiKeySettings>();

    public JwtSettings Jwt { get; private init; } = new();

    public RateLimitSettings RateLimit { get; private init; } = new();

    /// <summary>Whether every caller may do everything: no key and no token issuer is set.</summary>
    public bool Open => Keys.Count == 0 && !Jwt.Configured;

    public static ApiSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var keys = section.GetSection(nameof(Keys)).GetChildren()
            .Select(k => ApiKeySettings.From(k, problems))
            .ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);

        // Only keys that could all be read have hashes worth comparing.
        var shared = problems.Count == 0 ? keys.Values.GroupBy(k => k.Hash, StringComparer.Ordinal).Where(g => g.Count() > 1) : [];
        problems.AddRange(shared.Select(g => $"{string.Join(" and ", g.Select(k => $"{SectionName}:{nameof(Keys)}:{k.Name}:Hash"))} are the same key: give each caller a key of its own."));
        return new ApiSettings
        {
            Enabled = new SettingReader(section, problems).Switch(nameof(Enabled), true),
            Keys = keys,
            Jwt = JwtSettings.From(section.GetSection(nameof(Jwt)), problems),
            RateLimit = RateLimitSettings.From(section.GetSection(nameof(RateLimit)), problems),
            _unreadable = problems,
        };
    }

    /// <summary>
    /// Every problem, each naming its setting; empty when the settings can be used. An API open to
    /// anyone is a problem when the silo serves HTTP beyond loopback, at <paramref name="addresses"/>.
    /// </summary>
    public IReadOnlyList<string> Problems(HttpAddresses addresses)
    {
        var problems = _unreadable.ToList();
        if (Enabled && Open && addresses.BeyondLoopback is [var (setting, url), ..])
        {
            problems.Add(
                $"The silo serves HTTP beyond loopback ({url}, from {setting}) and its job API would be open to anyone: "
                + "set API keys (Api:Keys:NAME:Hash and Api:Keys:NAME:Rights, made by `unetpp api-key new`), "
                + "or a token issuer (Api:Jwt:Authority and Api:Jwt:Audience), or turn the API off with Api:Enabled=false.");
        }

        return problems;
    }
}
