using System.Security.Cryptography;

namespace UNetPP.Cluster.Silo.Api;

/// <summary>
/// One API key (section <c>Api:Keys:NAME</c>): the SHA-256 of the key, never the key, and the rights
/// it gives. <c>unetpp api-key new</c> makes a key and prints both settings.
/// </summary>
public sealed class ApiKeySettings
{
    private const int HashBytes = 32;

    private byte[] _hash = [];

    /// <summary>Who holds the key: its section's name, which logs and rate limits know the caller by.</summary>
    public required string Name { get; init; }

    /// <summary><c>sha256:</c> and the 64 hex digits of the key's SHA-256 (<see cref="ApiKey.Hash"/>).</summary>
    public string Hash => ApiKey.HashPrefix + Convert.ToHexStringLower(_hash);

    public required IReadOnlySet<ApiRight> Rights { get; init; }

    /// <summary>Whether a key whose SHA-256 is <paramref name="presented"/> is this one, compared in constant time.</summary>
    public bool Matches(ReadOnlySpan<byte> presented) => CryptographicOperations.FixedTimeEquals(_hash, presented);

    internal static ApiKeySettings From(IConfigurationSection section, List<string> problems)
    {
        var read = new SettingReader(section, problems);
        if (ApiKey.NameProblem(section.Key) is { } name)
        {
            problems.Add($"{section.Path}: {name}");
        }

        // Never quoted in a problem: a key put here by mistake would land in the log.
        read.OnlyThese(nameof(Hash), nameof(Rights));
        var hash = read.Text(nameof(Hash));
        var bytes = new byte[HashBytes];
        if (hash is null)
        {
            problems.Add($"{read.Setting(nameof(Hash))} is missing: give the key's hash as `unetpp api-key new` prints it (sha256:…).");
        }
        else if (!hash.StartsWith(ApiKey.HashPrefix, StringComparison.OrdinalIgnoreCase)
            || Convert.FromHexString(hash.AsSpan(ApiKey.HashPrefix.Length), bytes, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != HashBytes)
        {
            problems.Add($"{read.Setting(nameof(Hash))} is not sha256: and 64 hex digits; give the hash `unetpp api-key new` prints, never the key itself.");
        }

        var rights = read.Text(nameof(Rights));
        var parsed = ApiRights.Parse(rights);
        if (parsed is null)
        {
            problems.Add(rights is null
                ? $"{read.Setting(nameof(Rights))} is missing: name what the key may do, any of {ApiRights.Names}."
                : $"{read.Setting(nameof(Rights))} '{rights}': name what the key may do, any of {ApiRights.Names}, separated by commas.");
        }

        return new ApiKeySettings { Name = section.Key, Rights = parsed ?? new HashSet<ApiRight>(), _hash = bytes };
    }
}
