using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>
/// The access the tests' guarded silos have: three keys (read; submit; read, for flooding), tokens
/// from an issuer for one audience, and a burst of three requests an hour, so a flood is refused
/// and nothing refills the bucket while a test runs.
/// </summary>
internal sealed class GuardedAccess
{
    public const string Audience = "unetpp-tests";
    public const int Burst = 3;

    public string ReaderKey { get; } = ApiKey.New();

    public string SubmitterKey { get; } = ApiKey.New();

    public string FloodKey { get; } = ApiKey.New();

    /// <summary>The silo's settings for this access, tokens coming from the issuer at <paramref name="authority"/>.</summary>
    public Dictionary<string, string?> Settings(string authority) => new()
    {
        ["Api:Keys:reader:Hash"] = ApiKey.Hash(ReaderKey),
        ["Api:Keys:reader:Rights"] = "read",
        ["Api:Keys:submitter:Hash"] = ApiKey.Hash(SubmitterKey),
        ["Api:Keys:submitter:Rights"] = "submit",
        ["Api:Keys:flood:Hash"] = ApiKey.Hash(FloodKey),
        ["Api:Keys:flood:Rights"] = "read",
        ["Api:Jwt:Authority"] = authority,
        ["Api:Jwt:Audience"] = Audience,
        ["Api:RateLimit:Requests"] = "1",
        ["Api:RateLimit:Period"] = "01:00:00",
        ["Api:RateLimit:Burst"] = $"{Burst}",
    };
}
