namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// How often one caller may call the job API (section <c>Api:RateLimit</c>): a token bucket per API
/// key or token subject (per client address while the API is open) that holds <see cref="Burst"/>
/// requests and gains <see cref="Requests"/> every <see cref="Period"/>. The defaults let a notebook
/// and a dashboard poll freely; an event stream counts once, when it opens.
/// </summary>
public sealed class RateLimitSettings
{
    public int Requests { get; private init; } = 20;

    public TimeSpan Period { get; private init; } = TimeSpan.FromSeconds(1);

    public int Burst { get; private init; } = 40;

    internal static RateLimitSettings From(IConfigurationSection section, List<string> problems)
    {
        var read = new SettingReader(section, problems);
        read.OnlyThese(nameof(Requests), nameof(Period), nameof(Burst));
        var defaults = new RateLimitSettings();
        var settings = new RateLimitSettings
        {
            Requests = read.Count(nameof(Requests), defaults.Requests, 1, 1_000_000),
            Period = read.Span(nameof(Period), defaults.Period, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
            Burst = read.Count(nameof(Burst), defaults.Burst, 1, 1_000_000),
        };
        if (settings.Burst < settings.Requests)
        {
            problems.Add($"{read.Setting(nameof(Burst))} {settings.Burst} is less than {read.Setting(nameof(Requests))} {settings.Requests}: a burst holds at least one period's requests.");
        }

        return settings;
    }
}
