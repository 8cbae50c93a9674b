using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace UNetPP.Cluster.Storage;

/// <summary>
/// Opens the store for a <see cref="StorageLocation"/>: a local folder, or a blob container prefix with
/// the credential the location implies — its SAS, else the configured connection string when it is for
/// the same account, else (https only) the ambient Azure identity.
/// </summary>
public sealed class ObjectStoreFactory
{
    private readonly StorageOptions _options;
    private readonly Lazy<TokenCredential> _credential;

    /// <param name="credential">The Azure AD identity for URLs without a SAS; DefaultAzureCredential when null, made on first use.</param>
    public ObjectStoreFactory(StorageOptions options, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _credential = new Lazy<TokenCredential>(() => credential ?? new DefaultAzureCredential());
        ClientOptions = CreateClientOptions(options);
    }

    /// <summary>The SDK options every blob client gets: pinned service version and the retry policy.</summary>
    internal BlobClientOptions ClientOptions { get; }

    public IObjectStore Open(StorageLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.Kind == StorageKind.Local)
        {
            return new LocalObjectStore(location.LocalPath!);
        }

        var (container, authentication) = ContainerFor(location);
        return new BlobObjectStore(container, location.Prefix, _options.ListPageSize) { Authentication = authentication };
    }

    /// <summary>
    /// Asks the configured blob account for its properties, for readiness probes; says which account
    /// (by how it is reached, never its key) or that only local folders are configured. Throws when the
    /// account does not answer.
    /// </summary>
    public async Task<string> CheckReachableAsync(CancellationToken cancellationToken)
    {
        if (ConfiguredService() is not { } configured)
        {
            return "no blob account configured (local folders, and URLs with a SAS)";
        }

        await configured.Service.GetPropertiesAsync(cancellationToken);
        return $"blob account {configured.Service.AccountName} reachable ({configured.Authentication})";
    }

    internal static BlobClientOptions CreateClientOptions(StorageOptions options)
    {
        // Pinned to a version Azurite 3.37 accepts, so tests and laptops need no --skipApiVersionCheck;
        // Azure itself serves this version too.
        var client = new BlobClientOptions(BlobClientOptions.ServiceVersion.V2026_06_06);
        client.Retry.Mode = RetryMode.Exponential;
        client.Retry.MaxRetries = options.MaxRetries;
        client.Retry.Delay = options.RetryDelay;
        client.Retry.MaxDelay = options.MaxRetryDelay;
        client.Retry.NetworkTimeout = options.NetworkTimeout;
        return client;
    }

    private (BlobContainerClient Container, string Authentication) ContainerFor(StorageLocation location)
    {
        var containerName = location.Container!;
        if (location.SasToken is not null)
        {
            var uri = new Uri($"{location.ServiceUri}{Uri.EscapeDataString(containerName)}?{location.SasToken}");
            return (new BlobContainerClient(uri, ClientOptions), "SAS from the URL");
        }

        var configured = ConfiguredService();
        if (location.ServiceUri is null)
        {
            if (configured is null)
            {
                throw new InvalidOperationException(
                    $"'{location}' needs a storage account: set {StorageOptions.SectionName}:BlobConnection " +
                    "(or --blob-connection / UNETPP_BLOB_CONNECTION) to a connection string or account URL.");
            }

            return (configured.Value.Service.GetBlobContainerClient(containerName), configured.Value.Authentication);
        }

        if (configured is not null && SameEndpoint(configured.Value.Service.Uri, location.ServiceUri))
        {
            return (configured.Value.Service.GetBlobContainerClient(containerName), configured.Value.Authentication);
        }

        if (location.ServiceUri.Scheme == Uri.UriSchemeHttps)
        {
            var service = new BlobServiceClient(location.ServiceUri, _credential.Value, ClientOptions);
            return (service.GetBlobContainerClient(containerName), "Azure identity (token credential)");
        }

        throw new InvalidOperationException(
            $"'{location}' carries no SAS and {StorageOptions.SectionName}:BlobConnection is not for {location.ServiceUri}: " +
            "add a SAS to the URL or set that setting to the emulator's connection string.");
    }

    private (BlobServiceClient Service, string Authentication)? ConfiguredService()
    {
        var setting = _options.BlobConnection;
        if (string.IsNullOrWhiteSpace(setting))
        {
            return null;
        }

        if (Uri.TryCreate(setting, UriKind.Absolute, out var accountUrl) && accountUrl.Scheme == Uri.UriSchemeHttps)
        {
            return (new BlobServiceClient(accountUrl, _credential.Value, ClientOptions), "Azure identity (token credential)");
        }

        try
        {
            return (new BlobServiceClient(setting, ClientOptions), $"connection string from {StorageOptions.SectionName}:BlobConnection");
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            // The SDK's message can quote the setting; ours must not, because it holds the account key.
            throw new InvalidOperationException(
                $"{StorageOptions.SectionName}:BlobConnection is neither a valid connection string nor an account URL ({e.GetType().Name}).");
        }
    }

    private static bool SameEndpoint(Uri a, Uri b) =>
        string.Equals(a.AbsoluteUri.TrimEnd('/'), b.AbsoluteUri.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
