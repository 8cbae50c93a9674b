using System.ComponentModel.DataAnnotations;
using Azure.Core;
using Azure.Storage.Blobs;

namespace UNetPP.Cluster.Storage.Tests;

/// <summary>Which store a location opens and how the settings configure it: nothing here talks to a blob service.</summary>
public sealed class ObjectStoreFactorySettingsTests
{
    [Fact]
    public void A_local_location_opens_a_local_store_at_that_folder()
    {
        var store = new ObjectStoreFactory(new StorageOptions()).Open(StorageLocation.Parse("/tmp/unetpp-data"));

        Assert.Equal("/tmp/unetpp-data", Assert.IsType<LocalObjectStore>(store).Root);
    }

    [Fact]
    public void An_account_url_without_sas_signs_in_with_the_azure_identity()
    {
        var factory = new ObjectStoreFactory(new StorageOptions(), new UnusedCredential());

        var store = Assert.IsType<BlobObjectStore>(factory.Open(StorageLocation.Parse("https://acct.blob.core.windows.net/data/in")));

        Assert.Contains("Azure identity", store.Authentication, StringComparison.Ordinal);
        Assert.Equal("https://acct.blob.core.windows.net/data/in/", store.ToString());
    }

    [Fact]
    public void Az_without_a_configured_account_fails_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ObjectStoreFactory(new StorageOptions()).Open(StorageLocation.Parse("az://data/in")));

        Assert.Contains("'az://data/in/'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:BlobConnection", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_connection_string_is_reported_without_repeating_it()
    {
        var factory = new ObjectStoreFactory(new StorageOptions { BlobConnection = "AccountName=x;AccountKey=TOPSECRET;Nonsense" });

        var error = Assert.Throws<InvalidOperationException>(() => factory.Open(StorageLocation.Parse("az://data/in")));

        Assert.Contains("Storage:BlobConnection", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TOPSECRET", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_retry_settings_and_a_version_azurite_accepts_reach_the_sdk()
    {
        var options = ObjectStoreFactory.CreateClientOptions(new StorageOptions
        {
            MaxRetries = 7,
            RetryDelay = TimeSpan.FromMilliseconds(250),
            MaxRetryDelay = TimeSpan.FromSeconds(9),
            NetworkTimeout = TimeSpan.FromSeconds(42),
        });

        Assert.Equal(RetryMode.Exponential, options.Retry.Mode);
        Assert.Equal(7, options.Retry.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Retry.Delay);
        Assert.Equal(TimeSpan.FromSeconds(9), options.Retry.MaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(42), options.Retry.NetworkTimeout);
        Assert.Equal(BlobClientOptions.ServiceVersion.V2026_06_06, options.Version);
    }

    [Theory]
    [InlineData(-1, 100, "Storage:MaxRetries")]
    [InlineData(3, 0, "Storage:RetryDelay")]
    public void Bad_settings_fail_at_construction_naming_the_setting(int retries, int delayMs, string name)
    {
        var options = new StorageOptions { MaxRetries = retries, RetryDelay = TimeSpan.FromMilliseconds(delayMs) };

        var error = Assert.Throws<ValidationException>(() => new ObjectStoreFactory(options));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Stands in for DefaultAzureCredential where no request is ever sent.</summary>
    private sealed class UnusedCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No token should be requested by this test.");

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No token should be requested by this test.");
    }
}
