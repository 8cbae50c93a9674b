using System.Net;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// Where the silo serves HTTP, as its settings say: <c>ASPNETCORE_URLS</c> or <c>--urls</c>,
/// <c>ASPNETCORE_HTTP_PORTS</c> and <c>ASPNETCORE_HTTPS_PORTS</c> (every address), and Kestrel's own
/// endpoints; <c>http://127.0.0.1:8080</c> when none is set.
/// </summary>
public sealed class HttpAddresses
{
    private HttpAddresses(IReadOnlyList<(string Setting, string Url)> all) => All = all;

    /// <summary>Each address with the setting that gave it.</summary>
    public IReadOnlyList<(string Setting, string Url)> All { get; }

    /// <summary>The addresses other machines may reach: every address, a non-loopback one, or a host name other than localhost.</summary>
    public IReadOnlyList<(string Setting, string Url)> BeyondLoopback => [.. All.Where(a => Reaches(a.Url))];

    public static HttpAddresses From(IConfiguration configuration)
    {
        static IEnumerable<string> Split(string? list) => (list ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        List<(string, string)> all =
        [
            .. Split(configuration["urls"]).Select(u => ("ASPNETCORE_URLS or --urls", u)),
            .. Split(configuration["http_ports"]).Select(p => ("ASPNETCORE_HTTP_PORTS", $"http://*:{p}")),
            .. Split(configuration["https_ports"]).Select(p => ("ASPNETCORE_HTTPS_PORTS", $"https://*:{p}")),
            .. configuration.GetSection("Kestrel:Endpoints").GetChildren()
                .Where(e => !string.IsNullOrWhiteSpace(e["Url"]))
                .Select(e => ($"Kestrel:Endpoints:{e.Key}:Url", e["Url"]!.Trim())),
        ];
        return new HttpAddresses(all.Count > 0 ? all : [("the default", $"http://127.0.0.1:{SiloApplication.DefaultHttpPort}")]);
    }

    private static bool Reaches(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            // Not an address this silo can prove is loopback; Kestrel says what is wrong with it when it binds.
            return true;
        }

        if (address.IsUnixPipe || address.IsNamedPipe || string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return !(IPAddress.TryParse(address.Host.TrimStart('[').TrimEnd(']'), out var ip) && IPAddress.IsLoopback(ip));
    }
}
