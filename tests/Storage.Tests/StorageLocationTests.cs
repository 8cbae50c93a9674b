namespace UNetPP.Cluster.Storage.Tests;

public sealed class StorageLocationTests
{
    [Fact]
    public void A_relative_path_is_a_local_folder_resolved_against_the_current_folder()
    {
        var location = StorageLocation.Parse("data/images");

        Assert.Equal(StorageKind.Local, location.Kind);
        Assert.Equal(Path.GetFullPath("data/images"), location.LocalPath);
    }

    [Theory]
    [InlineData("/srv/data/images", "/srv/data/images")]
    [InlineData("file:///srv/data/images", "/srv/data/images")]
    [InlineData("file://localhost/srv/data", "/srv/data")]
    [InlineData("file:///srv/with%20space", "/srv/with space")]
    public void Absolute_paths_and_file_urls_are_local_folders(string text, string expected)
    {
        var location = StorageLocation.Parse(text);

        Assert.Equal(StorageKind.Local, location.Kind);
        Assert.Equal(expected, location.LocalPath);
        Assert.Equal(expected, location.ToString());
    }

    [Theory]
    [InlineData("az://images", "images", "")]
    [InlineData("az://images/", "images", "")]
    [InlineData("az://images/run-1", "images", "run-1/")]
    [InlineData("az://images//run-1/day 2/", "images", "run-1/day 2/")]
    public void Az_locations_name_a_container_and_a_folder_like_prefix(string text, string container, string prefix)
    {
        var location = StorageLocation.Parse(text);

        Assert.Equal(StorageKind.Blob, location.Kind);
        Assert.Null(location.ServiceUri);
        Assert.Null(location.SasToken);
        Assert.Equal(container, location.Container);
        Assert.Equal(prefix, location.Prefix);
        Assert.Equal($"az://{container}/{prefix}", location.ToString());
    }

    [Fact]
    public void An_account_url_gives_the_service_endpoint_account_and_prefix()
    {
        var location = StorageLocation.Parse("https://myacct.blob.core.windows.net/data/cells/%C3%A9t%C3%A9");

        Assert.Equal(StorageKind.Blob, location.Kind);
        Assert.Equal(new Uri("https://myacct.blob.core.windows.net/"), location.ServiceUri);
        Assert.Equal("myacct", location.AccountName);
        Assert.Equal("data", location.Container);
        Assert.Equal("cells/été/", location.Prefix);
        Assert.Null(location.SasToken);
    }

    [Fact]
    public void A_sas_query_string_becomes_the_credential_and_its_signature_is_never_printed()
    {
        const string Signature = "abc%2Bdef%3D";
        var location = StorageLocation.Parse($"https://myacct.blob.core.windows.net/data/in?sv=2025-01-05&sp=rl&sig={Signature}&se=2030-01-01");

        Assert.Equal($"sv=2025-01-05&sp=rl&sig={Signature}&se=2030-01-01", location.SasToken);
        var shown = location.ToString();
        Assert.DoesNotContain(Signature, shown, StringComparison.Ordinal);
        Assert.Equal("https://myacct.blob.core.windows.net/data/in/?sv=2025-01-05&sp=rl&sig=REDACTED&se=2030-01-01", shown);
    }

    [Theory]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/masks/out", "http://127.0.0.1:10000/devstoreaccount1/", "masks", "out/")]
    [InlineData("http://localhost:10000/devstoreaccount1/masks", "http://localhost:10000/devstoreaccount1/", "masks", "")]
    public void Emulator_urls_carry_the_account_in_the_path(string text, string service, string container, string prefix)
    {
        var location = StorageLocation.Parse(text);

        Assert.Equal(new Uri(service), location.ServiceUri);
        Assert.Equal("devstoreaccount1", location.AccountName);
        Assert.Equal(container, location.Container);
        Assert.Equal(prefix, location.Prefix);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("s3://bucket/x", "scheme 's3'")]
    [InlineData("az://", "no container")]
    [InlineData("az://Images/x", "not a valid container name")]
    [InlineData("az://a/x", "not a valid container name")]
    [InlineData("az://my--data/x", "not a valid container name")]
    [InlineData("az://data/../other", "'..' segment")]
    [InlineData("az://data/x?sv=1", "credential from configuration")]
    [InlineData("https://example.com/data/x", "not a blob endpoint")]
    [InlineData("http://myacct.blob.core.windows.net/data", "must use https")]
    [InlineData("https://myacct.blob.core.windows.net/data?sv=1&sp=r", "no 'sig=' parameter")]
    [InlineData("http://127.0.0.1:10000/", "account as its first path segment")]
    [InlineData("file://server/share/x", "not the host 'server'")]
    public void Anything_else_is_refused_naming_the_text_and_the_reason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => StorageLocation.Parse(text));

        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_about_a_sas_url_does_not_repeat_its_signature()
    {
        var error = Assert.Throws<FormatException>(() => StorageLocation.Parse("https://example.com/data?sv=1&sig=SECRET"));

        Assert.DoesNotContain("SECRET", error.Message, StringComparison.Ordinal);
        Assert.Contains("sig=REDACTED", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://a.blob.core.windows.net/c?sv=1&sig=XYZ&se=2", "https://a.blob.core.windows.net/c?sv=1&sig=REDACTED&se=2")]
    [InlineData("sig=XYZ", "sig=REDACTED")]
    [InlineData("sv=1&SIG=XYZ", "sv=1&SIG=REDACTED")]
    [InlineData("sv=1&mysig=keep", "sv=1&mysig=keep")]
    public void Redaction_replaces_only_signature_values(string text, string expected) =>
        Assert.Equal(expected, StorageLocation.RedactSignature(text));

    [Theory]
    [InlineData("a.png", true)]
    [InlineData("dir/B.JPG", true)]
    [InlineData("c.jpeg", true)]
    [InlineData("scan.Tif", true)]
    [InlineData("scan.tiff", true)]
    [InlineData("notes.txt", false)]
    [InlineData("png", false)]
    [InlineData("a.png.json", false)]
    public void Image_names_are_recognised_by_extension(string name, bool expected) =>
        Assert.Equal(expected, StoredObject.LooksLikeImageName(name));

    [Theory]
    [InlineData("/srv/nest/results", "/srv/nest", "results/")]
    [InlineData("/srv/nest/a/b/", "/srv/nest/", "a/b/")]
    [InlineData("/srv/nest", "/srv/nest/", "")]
    [InlineData("/srv/nest2/results", "/srv/nest", null)]
    [InlineData("/srv", "/srv/nest", null)]
    [InlineData("az://cells/nest/results", "az://cells/nest", "results/")]
    [InlineData("az://cells/nest", "az://cells", "nest/")]
    [InlineData("az://cells/nest2", "az://cells/nest", null)]
    [InlineData("az://plates/nest/results", "az://cells/nest", null)]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/cells/nest/out", "http://127.0.0.1:10000/devstoreaccount1/cells/nest", "out/")]
    [InlineData("http://127.0.0.1:10000/other/cells/nest/out", "http://127.0.0.1:10000/devstoreaccount1/cells/nest", null)]
    [InlineData("az://cells/nest/out", "http://127.0.0.1:10000/devstoreaccount1/cells/nest", null)]
    [InlineData("/srv/nest/out", "az://cells/nest", null)]
    public void A_location_knows_the_path_by_which_it_lies_inside_another(string inner, string outer, string? expected)
    {
        Assert.Equal(expected, StorageLocation.Parse(inner).PathWithin(StorageLocation.Parse(outer)));
    }
}
