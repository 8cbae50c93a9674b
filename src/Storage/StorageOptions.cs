using System.ComponentModel.DataAnnotations;

namespace UNetPP.Cluster.Storage;

/// <summary>
/// Settings for datasets and masks, bound from the configuration section <c>Storage</c>.
/// A class rather than a record so that no generated ToString can print the connection string's key.
/// </summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>
    /// <c>Storage:BlobConnection</c>: a connection string (<c>UseDevelopmentStorage=true</c> for Azurite) or an
    /// account URL (<c>https://account.blob.core.windows.net</c>, then signed in with DefaultAzureCredential).
    /// Used for <c>az://</c> locations and for URLs of the same account that carry no SAS.
    /// </summary>
    public string? BlobConnection { get; set; }

    /// <summary>Blobs asked for per listing request.</summary>
    [Range(1, BlobObjectStore.MaxPageSize)]
    public int ListPageSize { get; set; } = BlobObjectStore.MaxPageSize;

    /// <summary>Retries of one request after a transient failure (timeouts, 408, 429, 5xx), by the SDK's exponential policy.</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>The first back-off; it doubles (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(0.8);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one try may wait on the network before it counts as failed and is retried.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Throws <see cref="ValidationException"/> naming the first bad setting and why.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            var first = results[0];
            Require(false, first.MemberNames.FirstOrDefault() ?? "?", $"is invalid: {first.ErrorMessage}");
        }

        Require(RetryDelay > TimeSpan.Zero, nameof(RetryDelay), "must be positive");
        Require(MaxRetryDelay >= RetryDelay, nameof(MaxRetryDelay), "must be at least RetryDelay");
        Require(NetworkTimeout > TimeSpan.Zero, nameof(NetworkTimeout), "must be positive");
    }

    private static void Require(bool ok, string name, string reason)
    {
        if (!ok)
        {
            throw new ValidationException($"{SectionName}:{name} {reason}.");
        }
    }
}
