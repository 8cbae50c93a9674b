using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// Keeps the SAS of a job's locations out of what the cluster stores: a job is stored with its
/// locations bare and their signatures apart, encrypted with AES-256-GCM under the cluster's
/// credential key and bound to the job's id. Every silo given the same key opens them again, so a job
/// goes on after any silo, or the whole cluster, restarts; whoever can read the storage account
/// alone reads no signature.
/// </summary>
public sealed class CredentialSeal
{
    /// <summary>The setting that holds the key: 32 random bytes in base64, the same on every silo.</summary>
    public const string Setting = "Cluster:CredentialKey";

    /// <summary>The key's length in bytes (AES-256).</summary>
    public const int KeyBytes = 32;

    private const string Version = "v1";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly byte[]? _key;
    private readonly string? _keyId;

    private CredentialSeal(byte[]? key)
    {
        _key = key;
        _keyId = key is null ? null : Convert.ToHexStringLower(SHA256.HashData(key))[..8];
    }

    /// <summary>A seal for the configured key (<see cref="Setting"/>).</summary>
    public static CredentialSeal WithKey(byte[] key) =>
        key.Length == KeyBytes ? new(key) : throw new ArgumentException($"{Setting} holds {key.Length} bytes; it needs {KeyBytes}.", nameof(key));

    /// <summary>
    /// For a cluster whose job state lives only in its processes' memory: a key made now and never
    /// written anywhere, so nothing a job carries is ever at rest.
    /// </summary>
    public static CredentialSeal ForThisProcess() => new(RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>For a cluster that stores job state but was given no key: it refuses jobs that carry a SAS.</summary>
    public static CredentialSeal WithoutKey() => new(null);

    /// <summary>
    /// The spec as it may be stored (its locations without their SAS) and the sealed SAS, null when no
    /// location carries one. Throws <see cref="ArgumentException"/> naming the setting when this
    /// cluster has no key to seal with.
    /// </summary>
    public (JobSpec Stored, string? Sealed) Seal(string jobId, JobSpec spec)
    {
        var stored = Bare(spec);
        string?[] signatures = [Sas(spec.Input), Sas(spec.Output), Sas(spec.Model), Sas(spec.Labels)];
        if (signatures.All(s => s is null))
        {
            return (stored, null);
        }

        if (_key is null)
        {
            throw new ArgumentException(
                $"this cluster keeps job state in storage and its silos have no {Setting} to encrypt a SAS with; "
                + "ask its operator to set one (deploy/README.md, Security), or give az:// locations, which use the cluster's own account.");
        }

        var plain = JsonSerializer.SerializeToUtf8Bytes(signatures);
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var sealedBytes = new byte[NonceBytes + TagBytes + plain.Length];
        nonce.CopyTo(sealedBytes, 0);
        using (var aes = new AesGcm(_key, TagBytes))
        {
            aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), Encoding.UTF8.GetBytes(jobId));
        }

        return (stored, $"{Version}.{_keyId}.{Convert.ToBase64String(sealedBytes)}");
    }

    /// <summary>
    /// The stored spec with its SAS back on its locations. Throws <see cref="CryptographicException"/>
    /// with the reason when this silo's key is not the one the job was sealed with.
    /// </summary>
    public JobSpec Open(string jobId, JobSpec stored, string? sealedSas)
    {
        if (sealedSas is null)
        {
            return stored;
        }

        var parts = sealedSas.Split('.');
        if (parts.Length != 3 || parts[0] != Version)
        {
            throw new CryptographicException("its stored SAS is in a form this version does not read.");
        }

        if (_key is null || parts[1] != _keyId)
        {
            throw new CryptographicException(
                $"its SAS was encrypted with a {Setting} this silo does not have (key {parts[1]}, this silo's {_keyId ?? "none"}).");
        }

        var sealedBytes = Convert.TryFromBase64String(parts[2], new byte[parts[2].Length], out var length) && length >= NonceBytes + TagBytes
            ? Convert.FromBase64String(parts[2])
            : throw new CryptographicException("its stored SAS is damaged.");
        var plain = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        using (var aes = new AesGcm(_key, TagBytes))
        {
            aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), plain, Encoding.UTF8.GetBytes(jobId));
        }

        var signatures = JsonSerializer.Deserialize<string?[]>(plain) ?? [];
        return signatures.Length != 4
            ? throw new CryptographicException("its stored SAS does not hold the four locations' signatures.")
            : stored with
            {
                Input = Join(stored.Input, signatures[0])!,
                Output = Join(stored.Output, signatures[1])!,
                Model = Join(stored.Model, signatures[2]),
                Labels = Join(stored.Labels, signatures[3]),
            };
    }

    /// <summary>The spec with every location's SAS taken off: what statuses and reports show.</summary>
    public static JobSpec Bare(JobSpec spec) => spec with
    {
        Input = StorageLocation.SplitSas(spec.Input).Bare,
        Output = StorageLocation.SplitSas(spec.Output).Bare,
        Model = spec.Model is null ? null : StorageLocation.SplitSas(spec.Model).Bare,
        Labels = spec.Labels is null ? null : StorageLocation.SplitSas(spec.Labels).Bare,
    };

    private static string? Sas(string? location) => location is null ? null : StorageLocation.SplitSas(location).Sas;

    private static string? Join(string? bare, string? sas) => bare is null || sas is null ? bare : $"{bare}?{sas}";
}
