using System.Security.Claims;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// The rights as callers and operators write them (<c>submit,read,cancel</c>) and as tokens carry them
/// (scopes <c>unetpp.submit</c>, <c>unetpp.read</c>, <c>unetpp.cancel</c>).
/// </summary>
public static class ApiRights
{
    /// <summary>How rights are listed: every right by its name, separated by commas.</summary>
    public static string Names { get; } = string.Join(",", Enum.GetValues<ApiRight>().Select(Name));

    /// <summary>A right's name in settings and on the command line: <c>submit</c>, <c>read</c>, <c>cancel</c>.</summary>
    public static string Name(ApiRight right) => right.ToString().ToLowerInvariant();

    /// <summary>The scope a token holds to have <paramref name="right"/>.</summary>
    public static string Scope(ApiRight right) => $"unetpp.{Name(right)}";

    /// <summary>The rights a comma-separated list names; null when it names none, or a word that is no right.</summary>
    public static IReadOnlySet<ApiRight>? Parse(string? text)
    {
        var words = (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var rights = new HashSet<ApiRight>();
        foreach (var word in words)
        {
            var named = Enum.GetValues<ApiRight>().Where(r => string.Equals(Name(r), word, StringComparison.OrdinalIgnoreCase)).ToList();
            if (named is not [var right])
            {
                return null;
            }

            rights.Add(right);
        }

        return rights.Count > 0 ? rights : null;
    }

    /// <summary>
    /// The rights a caller holds: the <c>unetpp.*</c> scopes of its key or token, in <c>scope</c> or
    /// <c>scp</c> claims (issuers differ), each claim one scope or several separated by spaces.
    /// </summary>
    public static IReadOnlySet<ApiRight> Held(ClaimsPrincipal caller)
    {
        var scopes = caller.Claims.Where(c => c.Type is "scope" or "scp")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        return Enum.GetValues<ApiRight>().Where(r => scopes.Contains(Scope(r))).ToHashSet();
    }
}
