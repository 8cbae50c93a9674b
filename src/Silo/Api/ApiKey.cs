using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// An API key: 32 random bytes in base64url, kept by its holder alone. Silos keep its SHA-256 only;
/// an unsalted hash is enough for a random secret that long, which no dictionary holds.
/// </summary>
public static class ApiKey
{
    /// <summary>How a hash setting starts: the algorithm, so another one can follow without breaking these.</summary>
    public const string HashPrefix = "sha256:";

    private const int RandomBytes = 32;
    private const int LongestName = 64;

    /// <summary>A new key.</summary>
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    /// <summary>The hash setting of <paramref name="key"/>: <c>sha256:</c> and 64 hex digits.</summary>
    public static string Hash(string key) => HashPrefix + Convert.ToHexStringLower(HashBytes(key));

    /// <summary>The SHA-256 of what a caller sent as a key.</summary>
    public static byte[] HashBytes(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>
    /// Why <paramref name="name"/> cannot name a key, or null when it can. A name is a setting's section
    /// (<c>Api__Keys__NAME__Hash</c>), so it holds only what environment variables and Secrets take.
    /// </summary>
    public static string? NameProblem(string name) =>
        name.Length is 0 or > LongestName || name.Contains("__", StringComparison.Ordinal) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? $"'{name}' cannot name an API key: use up to {LongestName} letters, digits, '-' and '_' (no '__')."
            : null;
}
